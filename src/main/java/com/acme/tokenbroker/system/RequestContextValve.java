package com.acme.tokenbroker.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.tomcat.util.buf.ByteChunk;
import org.apache.tomcat.util.buf.MessageBytes;
import org.apache.tomcat.util.http.MimeHeaders;
import org.slf4j.MDC;

/**
 * Gives every request of a server a request id and a trace, in the logging context (MDC)
 * of every line logged while it runs, and the request id back to the caller: the first
 * valve of Tomcat's engine, so it wraps everything that answers a request (the fast path
 * of cached tokens, Spring Security, Spring MVC, and the error report valve), and works
 * on Tomcat's objects directly, so the fast path stays free of strings and encoders it
 * does not need.
 * <ul>
 * <li>{@value #REQUEST_ID_MDC}: the caller's {@code X-Request-Id} if it is 1 to
 * {@value #MAX_REQUEST_ID_LENGTH} characters of {@code A-Z a-z 0-9 - _ . : + / =}, else
 * 32 random hex digits; sent back as {@code X-Request-Id}, the first header of every
 * answer. The bound keeps a caller's token, if one sent it there by mistake, out of the
 * logs.</li>
 * <li>{@value #TRACE_ID_MDC}: the trace id of a valid W3C {@code traceparent} (Trace
 * Context, section 3.2), else a new trace of 32 random hex digits, as the specification
 * asks of a receiver of an invalid one;</li>
 * <li>{@value #SPAN_ID_MDC}: a new span of 16 random hex digits, this server's part of
 * the trace.</li>
 * </ul>
 * The three are removed when the request ends: Tomcat's threads serve one request after
 * another.
 */
public final class RequestContextValve extends ValveBase {

	/** The header a caller may name its request with, and the one every answer has. */
	public static final String REQUEST_ID_HEADER = "X-Request-Id";

	/** The W3C Trace Context header. */
	static final String TRACEPARENT_HEADER = "traceparent";

	/** MDC key of the request id: ECS's {@code http.request.id}. */
	public static final String REQUEST_ID_MDC = "http.request.id";

	/** MDC key of the trace id: ECS's {@code trace.id}. */
	public static final String TRACE_ID_MDC = "trace.id";

	/** MDC key of this server's span: ECS's {@code span.id}. */
	public static final String SPAN_ID_MDC = "span.id";

	static final int MAX_REQUEST_ID_LENGTH = 64;

	/** {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}. */
	private static final int TRACEPARENT_LENGTH = 55;

	private static final byte[] REQUEST_ID_NAME = REQUEST_ID_HEADER.getBytes(StandardCharsets.ISO_8859_1);

	private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

	public RequestContextValve() {
		super(true);
	}

	@Override
	public void invoke(Request request, Response response) throws IOException, ServletException {
		MimeHeaders headers = request.getCoyoteRequest().getMimeHeaders();
		byte[] requestId = requestId(headers.getValue(REQUEST_ID_HEADER));
		String traceId = traceId(single(headers, TRACEPARENT_HEADER));
		MDC.put(REQUEST_ID_MDC, new String(requestId, StandardCharsets.ISO_8859_1));
		MDC.put(TRACE_ID_MDC, traceId);
		MDC.put(SPAN_ID_MDC, new String(randomId(16), StandardCharsets.ISO_8859_1));
		try {
			// The bytes are this request's own: Tomcat copies them when the answer
			// commits
			response.getCoyoteResponse()
				.getMimeHeaders()
				.addValue(REQUEST_ID_NAME, 0, REQUEST_ID_NAME.length)
				.setBytes(requestId, 0, requestId.length);
			getNext().invoke(request, response);
		}
		finally {
			MDC.remove(REQUEST_ID_MDC);
			MDC.remove(TRACE_ID_MDC);
			MDC.remove(SPAN_ID_MDC);
		}
	}

	/**
	 * @return the caller's request id if it is valid, else a new one
	 */
	static byte[] requestId(MessageBytes value) {
		if (value != null) {
			byte[] given = (value.getType() == MessageBytes.T_BYTES) ? copy(value.getByteChunk())
					: copy(value.toString());
			if (given != null) {
				return given;
			}
		}
		return randomHex(32);
	}

	private static byte[] copy(ByteChunk chunk) {
		int length = chunk.getLength();
		if (length == 0 || length > MAX_REQUEST_ID_LENGTH) {
			return null;
		}
		byte[] buffer = chunk.getBuffer();
		int start = chunk.getStart();
		byte[] copy = new byte[length];
		for (int i = 0; i < length; i++) {
			byte b = buffer[start + i];
			if (!isRequestIdChar(b)) {
				return null;
			}
			copy[i] = b;
		}
		return copy;
	}

	private static byte[] copy(String value) {
		int length = value.length();
		if (length == 0 || length > MAX_REQUEST_ID_LENGTH) {
			return null;
		}
		byte[] copy = new byte[length];
		for (int i = 0; i < length; i++) {
			char c = value.charAt(i);
			if (c >= 0x80 || !isRequestIdChar((byte) c)) {
				return null;
			}
			copy[i] = (byte) c;
		}
		return copy;
	}

	private static boolean isRequestIdChar(byte b) {
		return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '_'
				|| b == '.' || b == ':' || b == '+' || b == '/' || b == '=';
	}

	/**
	 * The trace this request belongs to.
	 * @param traceparent the single {@code traceparent} header, or {@code null}
	 * @return its trace id if the header is valid, else a new trace id
	 */
	static String traceId(MessageBytes traceparent) {
		if (traceparent != null) {
			String traceId = (traceparent.getType() == MessageBytes.T_BYTES) ? traceId(traceparent.getByteChunk())
					: traceId(traceparent.toString());
			if (traceId != null) {
				return traceId;
			}
		}
		return new String(randomId(32), StandardCharsets.ISO_8859_1);
	}

	private static String traceId(ByteChunk chunk) {
		return isValidTraceparent(chunk.getBuffer(), chunk.getStart(), chunk.getLength())
				? new String(chunk.getBuffer(), chunk.getStart() + 3, 32, StandardCharsets.ISO_8859_1) : null;
	}

	private static String traceId(String value) {
		byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
		return isValidTraceparent(bytes, 0, bytes.length) ? value.substring(3, 35) : null;
	}

	/**
	 * W3C Trace Context, section 3.2: {@code version-traceid-parentid-flags} in
	 * lower-case hex; version {@code ff} is invalid, and so is an all-zero trace or
	 * parent id. A later version than {@code 00} may append fields after a dash, which
	 * are ignored.
	 */
	static boolean isValidTraceparent(byte[] bytes, int start, int length) {
		if (length < TRACEPARENT_LENGTH || !isHex(bytes, start, 2)) {
			return false;
		}
		boolean version00 = bytes[start] == '0' && bytes[start + 1] == '0';
		boolean versionFf = bytes[start] == 'f' && bytes[start + 1] == 'f';
		if (versionFf || (version00 && length != TRACEPARENT_LENGTH)
				|| (length > TRACEPARENT_LENGTH && bytes[start + TRACEPARENT_LENGTH] != '-')) {
			return false;
		}
		return bytes[start + 2] == '-' && isHex(bytes, start + 3, 32) && !isZero(bytes, start + 3, 32)
				&& bytes[start + 35] == '-' && isHex(bytes, start + 36, 16) && !isZero(bytes, start + 36, 16)
				&& bytes[start + 52] == '-' && isHex(bytes, start + 53, 2);
	}

	private static boolean isHex(byte[] bytes, int start, int length) {
		for (int i = start; i < start + length; i++) {
			byte b = bytes[i];
			if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f'))) {
				return false;
			}
		}
		return true;
	}

	private static boolean isZero(byte[] bytes, int start, int length) {
		for (int i = start; i < start + length; i++) {
			if (bytes[i] != '0') {
				return false;
			}
		}
		return true;
	}

	/**
	 * @return the value of the header present exactly once, else {@code null}: two
	 * {@code traceparent} headers are not one trace
	 */
	private static MessageBytes single(MimeHeaders headers, String name) {
		MessageBytes found = null;
		for (int i = 0; i < headers.size(); i++) {
			if (headers.getName(i).equalsIgnoreCase(name)) {
				if (found != null) {
					return null;
				}
				found = headers.getValue(i);
			}
		}
		return found;
	}

	/**
	 * @return a trace or span id: random hex digits, not all zero (an invalid id)
	 */
	private static byte[] randomId(int digits) {
		byte[] id;
		do {
			id = randomHex(digits);
		}
		while (isZero(id, 0, digits));
		return id;
	}

	/**
	 * Ids, not secrets: a thread-local generator, without the locks of a shared secure
	 * one.
	 */
	private static byte[] randomHex(int digits) {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		byte[] hex = new byte[digits];
		for (int i = 0; i < digits; i += 16) {
			long bits = random.nextLong();
			for (int j = 0; j < 16 && i + j < digits; j++) {
				hex[i + j] = HEX[(int) (bits >>> (60 - 4 * j)) & 0xf];
			}
		}
		return hex;
	}

}
