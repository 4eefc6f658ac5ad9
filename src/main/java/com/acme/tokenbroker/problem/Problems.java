package com.acme.tokenbroker.problem;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/**
 * The broker's RFC 9457 problem types. Each {@code type} is a URN naming the condition;
 * {@code detail} names the service and the condition, never a token, key, secret or a
 * caller-supplied value that failed validation.
 */
public final class Problems {

	public static final String TYPE_PREFIX = "urn:token-broker:problem:";

	public static final URI INVALID_SERVICE_NAME = type("invalid-service-name");

	public static final URI INVALID_REQUEST = type("invalid-request");

	public static final URI UNKNOWN_SERVICE = type("unknown-service");

	public static final URI SERVICE_ACCESS_DENIED = type("service-access-denied");

	public static final URI UNAUTHENTICATED = type("unauthenticated");

	public static final URI FORBIDDEN = type("forbidden");

	public static final URI REQUEST_REJECTED = type("request-rejected");

	/** The title of the answer to a request the firewall refuses, wherever it is met. */
	public static final String REQUEST_REJECTED_TITLE = "Request rejected";

	/**
	 * The detail of a request the firewall refuses: it names nothing the caller sent,
	 * which may be what was refused.
	 */
	public static final String REQUEST_REJECTED_DETAIL = "The request URL or headers are not acceptable";

	public static final URI INTERNAL = type("internal-error");

	/** No endpoint at this path (an unmapped path, or one with a trailing slash). */
	public static final URI NOT_FOUND = type("not-found");

	public static final URI METHOD_NOT_ALLOWED = type("method-not-allowed");

	/**
	 * The request line and headers exceed {@code server.max-http-request-header-size}.
	 */
	public static final URI REQUEST_HEADER_TOO_LARGE = type("request-header-too-large");

	/** A method or transfer coding the server does not implement (e.g. CONNECT). */
	public static final URI NOT_IMPLEMENTED = type("not-implemented");

	public static final URI HTTP_VERSION_NOT_SUPPORTED = type("http-version-not-supported");

	/** The server is stopping and takes no new request. */
	public static final URI SERVER_UNAVAILABLE = type("server-unavailable");

	/** Any other error status the server answers itself, before the broker's code. */
	public static final URI HTTP_ERROR = type("http-error");

	/** The injecting proxy: the service's scoring endpoint could not be reached. */
	public static final URI SCORING_UNREACHABLE = type("scoring-unreachable");

	/** The injecting proxy: the scoring endpoint did not answer within the deadline. */
	public static final URI SCORING_TIMEOUT = type("scoring-timeout");

	/**
	 * The injecting proxy: the request body exceeds {@code broker.proxy.max-body-size}.
	 */
	public static final URI PAYLOAD_TOO_LARGE = type("payload-too-large");

	private Problems() {
	}

	public static URI type(String slug) {
		return URI.create(TYPE_PREFIX + slug);
	}

	/**
	 * The type and title of an error the framework or the server answers without a type
	 * of its own (Spring's {@code about:blank}, Tomcat's error report).
	 * @param status the response status
	 * @return the type and title for that status
	 */
	static Kind forStatus(int status) {
		return switch (status) {
			case 400 -> new Kind(REQUEST_REJECTED, "Request rejected");
			case 401 -> new Kind(UNAUTHENTICATED, "Unauthenticated");
			case 403 -> new Kind(FORBIDDEN, "Forbidden");
			case 404 -> new Kind(NOT_FOUND, "Not found");
			case 405 -> new Kind(METHOD_NOT_ALLOWED, "Method not allowed");
			case 431 -> new Kind(REQUEST_HEADER_TOO_LARGE, "Request header too large");
			case 500 -> new Kind(INTERNAL, "Internal error");
			case 501 -> new Kind(NOT_IMPLEMENTED, "Not implemented");
			case 503 -> new Kind(SERVER_UNAVAILABLE, "Server unavailable");
			case 505 -> new Kind(HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
			default -> {
				HttpStatus known = HttpStatus.resolve(status);
				yield new Kind(HTTP_ERROR, (known != null) ? known.getReasonPhrase() : "Error");
			}
		};
	}

	public static ProblemDetail of(HttpStatus status, URI type, String title, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(type);
		problem.setTitle(title);
		return problem;
	}

	/**
	 * Write a problem from a servlet filter (security errors happen before MVC). Headers
	 * already set on the response, such as {@code WWW-Authenticate}, are kept.
	 */
	public static void write(JsonMapper mapper, HttpServletRequest request, HttpServletResponse response,
			HttpStatus status, URI type, String title, String detail) throws IOException {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", type.toString());
		body.put("title", title);
		body.put("status", status.value());
		body.put("detail", detail);
		body.put("instance", request.getRequestURI());
		response.setStatus(status.value());
		response.setHeader("Cache-Control", "no-store");
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		response.getOutputStream().write(mapper.writeValueAsBytes(body));
	}

	/**
	 * A problem's type and title.
	 *
	 * @param type the type URN
	 * @param title its title
	 */
	record Kind(URI type, String title) {
	}

}
