package com.acme.tokenbroker.token;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import com.acme.tokenbroker.system.RequestContextValve;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletResponseWrapper;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.RequestFacade;
import org.apache.catalina.connector.Response;
import org.apache.catalina.connector.ResponseFacade;
import org.apache.coyote.ActionCode;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.tomcat.util.buf.ByteChunk;
import org.apache.tomcat.util.buf.MessageBytes;
import org.apache.tomcat.util.http.FastHttpDateFormat;
import org.apache.tomcat.util.http.MimeHeaders;

/**
 * Tomcat's own request and response behind the servlet API's, for the fast path
 * ({@link CachedTokenFilter}): its headers as the bytes received, and response headers
 * given as bytes. Through the servlet API, Tomcat decodes every header read into a new
 * string (through a {@code CharBuffer}: three copies of a kilobyte-long caller token
 * before it is hashed) and encodes every response header name and value with a new
 * {@code CharsetEncoder} when the response commits; given as bytes, it copies them.
 * <p>
 * The facades hold Tomcat's objects in a protected field, looked up once here. Where they
 * cannot be reached (another servlet container, a wrapped request, a Tomcat without these
 * fields), {@link #of} gives {@code null} and the fast path uses the servlet API alone,
 * with the same answers.
 */
final class TomcatExchange {

	private static final VarHandle REQUEST = field(RequestFacade.class, "request", Request.class);

	private static final VarHandle RESPONSE = field(ResponseFacade.class, "response", Response.class);

	/**
	 * Response header names as ASCII bytes: Tomcat reads a header's name, never writes
	 * it.
	 */
	private static final Map<String, byte[]> NAMES = new ConcurrentHashMap<>();

	private final Request request;

	private final Response response;

	private TomcatExchange(Request request, Response response) {
		this.request = request;
		this.response = response;
	}

	/**
	 * @return Tomcat's request and response behind these, or {@code null} if they are not
	 * Tomcat's own facades
	 */
	static TomcatExchange of(ServletRequest request, ServletResponse response) {
		if (REQUEST == null || RESPONSE == null || !(request instanceof RequestFacade requestFacade)
				|| !(response instanceof ResponseFacade responseFacade)) {
			return null;
		}
		Request tomcatRequest = (Request) REQUEST.get(requestFacade);
		Response tomcatResponse = (Response) RESPONSE.get(responseFacade);
		if (tomcatRequest == null || tomcatResponse == null) {
			return null;
		}
		return new TomcatExchange(tomcatRequest, tomcatResponse);
	}

	/**
	 * Close the caller's connection at once, without ending the answer under way: no last
	 * chunk, or fewer bytes than its {@code Content-Length}, so that the caller sees it
	 * broken, not complete. What Tomcat does itself when a servlet fails after the answer
	 * was committed, without the error log of an exception escaping the servlet.
	 * @param response the response, possibly wrapped
	 * @param why the reason, for Tomcat's debug log
	 * @return whether it was done: {@code false} where Tomcat's own response cannot be
	 * reached
	 */
	static boolean closeNow(ServletResponse response, Throwable why) {
		ServletResponse inner = response;
		while (inner instanceof ServletResponseWrapper wrapper) {
			inner = wrapper.getResponse();
		}
		if (RESPONSE == null || !(inner instanceof ResponseFacade facade)) {
			return false;
		}
		Response tomcat = (Response) RESPONSE.get(facade);
		if (tomcat == null) {
			return false;
		}
		try {
			tomcat.flushBuffer();
		}
		catch (IOException ex) {
			// the caller is gone already
		}
		tomcat.getCoyoteResponse().action(ActionCode.CLOSE_NOW, why);
		return true;
	}

	private static VarHandle field(Class<?> type, String name, Class<?> fieldType) {
		try {
			return MethodHandles.privateLookupIn(type, MethodHandles.lookup()).findVarHandle(type, name, fieldType);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

	MimeHeaders requestHeaders() {
		return this.request.getCoyoteRequest().getMimeHeaders();
	}

	/**
	 * @return the request URI's bytes as received (what
	 * {@code HttpServletRequest#getRequestURI} decodes)
	 */
	ByteChunk requestUri() {
		MessageBytes uri = this.request.getCoyoteRequest().requestURI();
		return (uri.getType() == MessageBytes.T_BYTES) ? uri.getByteChunk() : null;
	}

	/**
	 * @return the value of the header present exactly once, else {@code null}, as
	 * {@code getHeaders(name)} enumerates them
	 */
	static MessageBytes single(MimeHeaders headers, String name) {
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
	 * @return how many times the header is present
	 */
	static int count(MimeHeaders headers, String name) {
		int count = 0;
		for (int i = 0; i < headers.size(); i++) {
			if (headers.getName(i).equalsIgnoreCase(name)) {
				count++;
			}
		}
		return count;
	}

	/**
	 * Whether headers given here reach the client as the servlet API would send them:
	 * nothing set on the response yet but the request id ({@link RequestContextValve},
	 * which the fast path does not write: so no header of the same name to replace), and
	 * no compression on the connector (which looks at the servlet content type, left
	 * unset here).
	 */
	boolean acceptsEncodedHeaders() {
		MimeHeaders set = this.response.getCoyoteResponse().getMimeHeaders();
		for (int i = 0; i < set.size(); i++) {
			if (!set.getName(i).equalsIgnoreCase(RequestContextValve.REQUEST_ID_HEADER)) {
				return false;
			}
		}
		return this.response.getCoyoteResponse().getContentType() == null && this.request.getConnector() != null
				&& this.request.getConnector().getProtocolHandler() instanceof AbstractHttp11Protocol<?> http11
				&& "off".equals(http11.getCompression());
	}

	/**
	 * @param capacity the bytes expected for the header values
	 * @return a writer of response headers, in order, as bytes
	 */
	EncodedHeaders responseHeaders(int capacity) {
		return new EncodedHeaders(this.response.getCoyoteResponse().getMimeHeaders(), capacity);
	}

	/**
	 * Response headers added as bytes, in order. Values are copied into a buffer of this
	 * response only: Tomcat reuses a header's value buffer in place on a later response
	 * (a number is written into it), so a value shared between responses could change
	 * under them.
	 */
	static final class EncodedHeaders implements BiConsumer<String, String> {

		private final MimeHeaders headers;

		private byte[] values;

		private int used;

		private EncodedHeaders(MimeHeaders headers, int capacity) {
			this.headers = headers;
			this.values = new byte[capacity];
		}

		/**
		 * A header, as {@code setHeader} on a response without it: a {@code null} value
		 * sets nothing, a non-ASCII name or value is left to Tomcat's encoding.
		 */
		@Override
		public void accept(String name, String value) {
			if (value == null) {
				return;
			}
			byte[] encodedName = name(name);
			if (encodedName == null || !isAscii(value)) {
				this.headers.addValue(name).setString(value);
				return;
			}
			int length = value.length();
			if (this.values.length - this.used < length) {
				this.values = new byte[Math.max(length, 64)];
				this.used = 0;
			}
			int start = this.used;
			for (int i = 0; i < length; i++) {
				this.values[this.used++] = (byte) value.charAt(i);
			}
			this.headers.addValue(encodedName, 0, encodedName.length).setBytes(this.values, start, length);
		}

		/**
		 * {@code Content-Length}, where the servlet API's would come.
		 */
		void contentLength(long length) {
			byte[] encodedName = name("Content-Length");
			this.headers.addValue(encodedName, 0, encodedName.length).setLong(length);
		}

		/**
		 * The {@code Date} Tomcat adds to a response without one (the same value), given
		 * here so that it too is copied rather than encoded.
		 */
		void date() {
			accept("Date", FastHttpDateFormat.getCurrentDate());
		}

		private static byte[] name(String name) {
			byte[] encoded = NAMES.get(name);
			if (encoded == null && isAscii(name)) {
				encoded = NAMES.computeIfAbsent(name, TomcatExchange::ascii);
			}
			return encoded;
		}

	}

	private static boolean isAscii(String text) {
		for (int i = 0; i < text.length(); i++) {
			if (text.charAt(i) >= 0x80) {
				return false;
			}
		}
		return true;
	}

	private static byte[] ascii(String text) {
		byte[] bytes = new byte[text.length()];
		for (int i = 0; i < bytes.length; i++) {
			bytes[i] = (byte) text.charAt(i);
		}
		return bytes;
	}

}
