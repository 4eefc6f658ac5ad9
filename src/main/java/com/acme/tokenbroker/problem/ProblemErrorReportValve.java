package com.acme.tokenbroker.problem;

import java.io.IOException;
import java.io.Writer;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.coyote.ProtocolHandler;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.coyote.http11.Http11InputBuffer;
import org.apache.tomcat.util.res.StringManager;

import org.springframework.http.MediaType;

/**
 * Tomcat's error report, as {@code application/problem+json}: the errors Tomcat answers
 * itself, before any filter or servlet runs (a request line or header its parser refuses,
 * a request head over {@code server.max-http-request-header-size}, a URL with an encoded
 * slash or NUL, a {@code TRACE}), and any error status set with {@code sendError} or an
 * exception that escaped the servlet, since the broker's servers have no error page
 * ({@link ProblemErrorPages}). Replaces Tomcat's HTML page on each host.
 * <p>
 * The body is built from fixed text only: never the request's URL, method or headers,
 * which are what the parser refused, nor an exception's message (Tomcat's quote the
 * refused input). No {@code instance} member for the same reason.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	/** Tomcat's messages, in the JVM's locale as Tomcat writes them. */
	private static final StringManager PARSER_MESSAGES = StringManager.getManager(Http11InputBuffer.class);

	private static final String MARK = "\u0000";

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		// As ErrorReportValve: nothing for a success, an answer already written, or an
		// error already reported
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		AtomicBoolean ioAllowed = new AtomicBoolean(false);
		response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
		if (!ioAllowed.get()) {
			return;
		}
		Answer answer = answer(request, response, status, throwable);
		Problems.Kind kind = Problems.forStatus(answer.status());
		try {
			response.setStatus(answer.status());
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.setCharacterEncoding("UTF-8");
			response.setHeader("Cache-Control", "no-store");
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write("{\"type\":" + json(kind.type().toString()) + ",\"title\":" + json(kind.title())
						+ ",\"status\":" + answer.status() + ",\"detail\":" + json(answer.detail()) + "}");
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The caller has gone: nothing to answer
		}
	}

	private static Answer answer(Request request, Response response, int status, Throwable throwable) {
		return switch (status) {
			case 400 -> badRequest(request, response, throwable);
			case 404 -> new Answer(404, "Nothing is served at this path");
			case 405 -> new Answer(405, "This method is not allowed at this path");
			case 500 -> new Answer(500, "The broker failed to answer this request; the error is logged");
			case 501 -> new Answer(501, "The request's method or transfer coding is not implemented");
			case 503 -> new Answer(503, "The server is stopping and takes no new request");
			case 505 -> new Answer(505, "The request's HTTP version is not supported");
			default -> new Answer(status, "The server could not answer this request");
		};
	}

	/**
	 * Why Tomcat refused the request: its parser throws with a message (compared with
	 * Tomcat's own, in the same locale) and leaves the URL unparsed; the URL decoder
	 * sends the error without an exception, and leaves the decoded URL empty.
	 */
	private static Answer badRequest(Request request, Response response, Throwable throwable) {
		if (throwable instanceof IllegalArgumentException && throwable.getMessage() != null) {
			String message = throwable.getMessage();
			if (message.equals(PARSER_MESSAGES.getString("iib.requestheadertoolarge.error"))) {
				return new Answer(431, "The request line and headers exceed the server's limit"
						+ maxHeaderSize(request).map((size) -> " of " + size + " bytes").orElse(""));
			}
			if (isParserMessage(message, "iib.invalidRequestTarget")) {
				return new Answer(400, "The request target holds a character not allowed in a URL"
						+ " (such as a space, a backslash or a control character)");
			}
			if (isParserMessage(message, "iib.invalidmethod")) {
				return new Answer(400, "The request method is not a valid HTTP method name");
			}
			if (isParserMessage(message, "iib.invalidHttpProtocol")) {
				return new Answer(400, "The request line's HTTP version is not valid");
			}
			return new Answer(400, "The request line or a header is malformed");
		}
		String raw = request.getCoyoteRequest().requestURI().toString();
		String uri = (raw != null) ? raw.toLowerCase(Locale.ROOT) : "";
		if (uri.contains("%2f")) {
			return new Answer(400, "The request URL holds an encoded slash (%2F), which the broker refuses");
		}
		if (uri.contains("%5c")) {
			return new Answer(400, "The request URL holds an encoded backslash (%5C), which the broker refuses");
		}
		if (uri.contains("%00")) {
			return new Answer(400, "The request URL holds an encoded NUL (%00), which the broker refuses");
		}
		if (response.getMessage() != null) {
			// Tomcat's URL decoder sends its error with a message; the parser's checks of
			// the headers set the status alone
			return new Answer(400,
					"The request URL is not valid (a bad percent-encoding, or a dot segment above the root)");
		}
		return new Answer(400, "The request is malformed (such as its Host, Content-Length or Transfer-Encoding)");
	}

	private static boolean isParserMessage(String message, String key) {
		String template = PARSER_MESSAGES.getString(key, MARK);
		int mark = template.indexOf(MARK);
		return (mark < 0) ? message.equals(template) : message.startsWith(template.substring(0, mark))
				&& message.endsWith(template.substring(mark + MARK.length()));
	}

	private static Optional<Integer> maxHeaderSize(Request request) {
		ProtocolHandler handler = (request.getConnector() != null) ? request.getConnector().getProtocolHandler() : null;
		return (handler instanceof AbstractHttp11Protocol<?> http11) ? Optional.of(http11.getMaxHttpRequestHeaderSize())
				: Optional.empty();
	}

	private static String json(String text) {
		StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
		for (char c : text.toCharArray()) {
			switch (c) {
				case '"' -> quoted.append("\\\"");
				case '\\' -> quoted.append("\\\\");
				default -> {
					if (c < 0x20) {
						quoted.append(String.format("\\u%04x", (int) c));
					}
					else {
						quoted.append(c);
					}
				}
			}
		}
		return quoted.append('"').toString();
	}

	private record Answer(int status, String detail) {
	}

}
