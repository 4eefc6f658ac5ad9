package com.acme.tokenbroker.support;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in server on loopback, a forward proxy or an endpoint, that answers every
 * connection the same: it reads the request's head ({@link RawHttp#readHead}), counts it,
 * writes {@code answer} and closes.
 */
public final class CannedAnswerServer implements Closeable {

	private final ServerSocket socket;

	private final AtomicInteger requests = new AtomicInteger();

	private CannedAnswerServer(String name, String answer, OutputStream heads) throws IOException {
		this.socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
		Thread thread = new Thread(() -> {
			while (!this.socket.isClosed()) {
				try (Socket connection = this.socket.accept()) {
					RawHttp.readHead(connection.getInputStream(), heads);
					this.requests.incrementAndGet();
					OutputStream out = connection.getOutputStream();
					out.write(answer.getBytes(StandardCharsets.US_ASCII));
					out.flush();
				}
				catch (IOException ex) {
					// closed by the test
				}
			}
		}, name);
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Start one.
	 * @param name its thread's name
	 * @param answer the whole answer, head and body, sent to every request
	 * @param heads where the requests' heads go as they are read, or {@code null}
	 * @return the started server
	 * @throws IOException when it cannot listen
	 */
	public static CannedAnswerServer start(String name, String answer, OutputStream heads) throws IOException {
		return new CannedAnswerServer(name, answer, heads);
	}

	/**
	 * @return the port it listens on
	 */
	public int port() {
		return this.socket.getLocalPort();
	}

	/**
	 * @return how many requests it has answered
	 */
	public int requests() {
		return this.requests.get();
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
	}

}
