package com.acme.tokenbroker.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A loopback TCP proxy that can be stopped and started again on the same port: to its
 * clients, a server that goes away (connections reset, new ones refused) and comes back,
 * or one whose address is blackholed ({@link #blackhole()}: connects neither succeed nor
 * fail, as behind a firewall that drops packets).
 */
public final class TcpProxy implements AutoCloseable {

	private final String targetHost;

	private final int targetPort;

	private final int port;

	private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

	private volatile ServerSocket listener;

	private Thread acceptor;

	/**
	 * While blackholed: a listener nobody accepts on, and the connections that fill its
	 * accept queue.
	 */
	private final List<AutoCloseable> blackhole = new ArrayList<>();

	public TcpProxy(String targetHost, int targetPort) throws IOException {
		this.targetHost = targetHost;
		this.targetPort = targetPort;
		ServerSocket server = bindBelowEphemeralRange();
		this.port = server.getLocalPort();
		listen(server);
	}

	/**
	 * A port the kernel never hands out to an outgoing connection: {@link #stop()} and
	 * {@link #blackhole()} unbind it for a moment, and a port from the ephemeral range
	 * could be taken in that moment as the local port of any connection the test's JVM
	 * opens (a CI run failed on exactly that: "Address already in use").
	 */
	private static ServerSocket bindBelowEphemeralRange() throws IOException {
		int firstEphemeral = firstEphemeralPort();
		int lowest = Math.min(10000, firstEphemeral / 2);
		IOException last = null;
		for (int i = 0; i < 50; i++) {
			int candidate = ThreadLocalRandom.current().nextInt(lowest, firstEphemeral);
			ServerSocket server = new ServerSocket();
			server.setReuseAddress(true);
			try {
				server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), candidate));
				return server;
			}
			catch (IOException ex) {
				closeQuietly(server);
				last = ex;
			}
		}
		throw last;
	}

	private static int firstEphemeralPort() {
		try {
			String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
			return Integer.parseInt(range.split("\\s+")[0]);
		}
		catch (IOException | RuntimeException ex) {
			// Not Linux: IANA's dynamic range, which other kernels use by default
			return 49152;
		}
	}

	public int port() {
		return this.port;
	}

	/** Listen again; new connections reach the target. */
	public synchronized void start() throws IOException {
		if (this.listener != null) {
			return;
		}
		this.blackhole.forEach(TcpProxy::closeQuietly);
		this.blackhole.clear();
		ServerSocket server = new ServerSocket();
		server.setReuseAddress(true);
		server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port));
		listen(server);
	}

	private void listen(ServerSocket server) {
		this.listener = server;
		Thread thread = new Thread(() -> accept(server), "tcp-proxy-" + this.port);
		thread.setDaemon(true);
		thread.start();
		this.acceptor = thread;
	}

	/** Refuse new connections and reset every open one. */
	public synchronized void stop() {
		ServerSocket server = this.listener;
		this.listener = null;
		if (server != null) {
			closeQuietly(server);
			awaitAcceptorGone();
		}
		for (Socket socket : this.sockets) {
			try {
				socket.setSoLinger(true, 0);
			}
			catch (IOException ex) {
				// closing anyway
			}
			closeQuietly(socket);
		}
		this.sockets.clear();
	}

	/**
	 * Blackhole the port: open connections are reset, and new ones get no answer at all,
	 * their SYN dropped, so a client waits for its connect timeout. Done with the
	 * kernel's own rule: a listener that never accepts, whose accept queue is full, drops
	 * every further SYN. {@link #start()} ends it.
	 * @throws IOException if the port cannot be bound again
	 */
	public synchronized void blackhole() throws IOException {
		stop();
		ServerSocket server = new ServerSocket();
		server.setReuseAddress(true);
		server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 1);
		this.blackhole.add(server);
		for (int i = 0; i < 8; i++) {
			Socket filler = new Socket();
			try {
				filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 200);
				this.blackhole.add(filler);
			}
			catch (SocketTimeoutException ex) {
				closeQuietly(filler);
				return;
			}
		}
		throw new IllegalStateException(
				"the accept queue of port " + this.port + " never filled: SYNs are not dropped");
	}

	/**
	 * The JDK closes a listener that a thread is blocked accepting on only once that
	 * thread has been signalled out of accept: until then the port is still LISTENing,
	 * and binding it again (blackhole(), start()) fails with "Address already in use".
	 */
	private void awaitAcceptorGone() {
		Thread thread = this.acceptor;
		this.acceptor = null;
		if (thread == null) {
			return;
		}
		try {
			thread.join(5000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public synchronized void close() {
		stop();
		this.blackhole.forEach(TcpProxy::closeQuietly);
		this.blackhole.clear();
	}

	private void accept(ServerSocket server) {
		while (!server.isClosed()) {
			try {
				Socket client = server.accept();
				this.sockets.add(client);
				Socket upstream = new Socket(this.targetHost, this.targetPort);
				this.sockets.add(upstream);
				if (server.isClosed()) {
					// stop() ran while this one was being connected: it reset the others,
					// so reset this one too
					closeQuietly(client);
					closeQuietly(upstream);
					continue;
				}
				pump(client, upstream);
				pump(upstream, client);
			}
			catch (IOException ex) {
				// listener closed, or the target refused: the client sees a reset
			}
		}
	}

	private void pump(Socket from, Socket to) {
		Thread thread = new Thread(() -> {
			try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
				in.transferTo(out);
			}
			catch (IOException ex) {
				// either side closed
			}
			finally {
				closeQuietly(from);
				closeQuietly(to);
				this.sockets.remove(from);
				this.sockets.remove(to);
			}
		}, "tcp-proxy-pump");
		thread.setDaemon(true);
		thread.start();
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// already closed
		}
	}

}
