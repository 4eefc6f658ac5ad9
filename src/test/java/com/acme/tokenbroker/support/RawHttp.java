package com.acme.tokenbroker.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * HTTP/1.x over a plain socket, for comparing whole responses byte for byte: the request
 * goes out exactly as written (no URI normalization, any method, repeated headers) and
 * the response comes back as the bytes on the wire.
 */
public final class RawHttp {

	private final IntSupplier port;

	public RawHttp(int port) {
		this(() -> port);
	}

	/**
	 * A client whose port is read at each exchange, as {@link Http#Http(IntSupplier)}.
	 * @param port the port, read at each exchange
	 */
	public RawHttp(IntSupplier port) {
		this.port = port;
	}

	/**
	 * Send requests on one connection and read one response per request (the last request
	 * should carry {@code Connection: close}; earlier responses must have a
	 * {@code Content-Length}).
	 * @param requests each request's head, lines without line ends
	 * @return the raw responses, in order
	 */
	public List<Response> exchange(List<List<String>> requests) {
		return exchange(requests, new byte[0]);
	}

	/**
	 * One request with {@code Connection: close} added, and a body sent after its head
	 * (the head declares it, e.g. with {@code Content-Length}).
	 * @param request the request's head, lines without line ends
	 * @param body the bytes sent after the head
	 * @return the raw response
	 */
	public Response send(List<String> request, byte[] body) {
		List<String> lines = new ArrayList<>(request);
		lines.add("Connection: close");
		return exchange(List.of(lines), body).get(0);
	}

	private List<Response> exchange(List<List<String>> requests, byte[] lastBody) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port.getAsInt()), 5000);
			socket.setSoTimeout(20_000);
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			List<Response> responses = new ArrayList<>();
			for (int i = 0; i < requests.size(); i++) {
				StringBuilder head = new StringBuilder();
				for (String line : requests.get(i)) {
					head.append(line).append("\r\n");
				}
				head.append("\r\n");
				out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
				if (i == requests.size() - 1) {
					out.write(lastBody);
				}
				out.flush();
				responses.add(read(in, i == requests.size() - 1));
			}
			return responses;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** One request with {@code Connection: close} added. */
	public Response send(List<String> request) {
		List<String> lines = new ArrayList<>(request);
		lines.add("Connection: close");
		return exchange(List.of(lines)).get(0);
	}

	/**
	 * Read a request's head, up to and with the blank line that ends it, as a test's
	 * stand-in server does before it answers.
	 * @param in the connection's input
	 * @param copy where the head's bytes go as they are read, or {@code null}
	 * @return {@code true} when the head ended, {@code false} when the input did first
	 * @throws IOException when reading fails
	 */
	public static boolean readHead(InputStream in, OutputStream copy) throws IOException {
		byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
		int matched = 0;
		while (matched < end.length) {
			int read = in.read();
			if (read < 0) {
				return false;
			}
			if (copy != null) {
				copy.write(read);
			}
			matched = (read == end[matched]) ? matched + 1 : ((read == end[0]) ? 1 : 0);
		}
		return true;
	}

	private static Response read(InputStream in, boolean toEnd) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("connection closed in the response head");
			}
			head.write(b);
			matched = ((b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)))
					? matched + 1 : (b == '\r' ? 1 : 0);
		}
		String headText = head.toString(StandardCharsets.ISO_8859_1);
		int length = -1;
		for (String line : headText.split("\r\n")) {
			if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
				length = Integer.parseInt(line.substring(15).trim());
			}
		}
		byte[] body;
		if (length >= 0 && !toEnd) {
			body = in.readNBytes(length);
		}
		else {
			body = in.readAllBytes();
		}
		return new Response(headText, body);
	}

	/**
	 * A raw response.
	 *
	 * @param head the status line and headers, as received, ending with the empty line
	 * @param body the bytes after the head
	 */
	public record Response(String head, byte[] body) {

		public int status() {
			return Integer.parseInt(this.head.substring(9, 12));
		}

		/**
		 * @return the head with the {@code Date} header's value masked, and the value of
		 * an {@code X-Request-Id} the server made (32 hex digits, where the request sent
		 * none): the parts two responses may differ in. A request id the request sent is
		 * compared.
		 */
		public String headWithoutDate() {
			return this.head.replaceAll("(?im)^Date: [^\r\n]*", "Date: <masked>")
				.replaceAll("(?im)^X-Request-Id: [0-9a-f]{32}$", "X-Request-Id: <generated>");
		}

		/**
		 * @return the head (Date masked) and the body, ISO-8859-1, for whole-response
		 * comparison
		 */
		public String comparable() {
			return headWithoutDate() + new String(this.body, StandardCharsets.ISO_8859_1);
		}

		public String header(String name) {
			for (String line : this.head.split("\r\n")) {
				int colon = line.indexOf(':');
				if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
					return line.substring(colon + 1).trim();
				}
			}
			return null;
		}

		public String bodyText() {
			return new String(this.body, StandardCharsets.UTF_8);
		}

		@Override
		public String toString() {
			return "Response[" + this.head.lines().findFirst().orElse("") + "]";
		}

	}

}
