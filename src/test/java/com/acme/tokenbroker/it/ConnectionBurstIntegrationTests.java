package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of 1,000 connections opened at once, as a cold start of many callers sends
 * (issue 14, item 1): the listen queue holds them all. With Tomcat's default accept queue
 * of 100 the kernel drops the handshakes past it (counted in {@code TcpExt
 * ListenOverflows}), and those callers wait for a retransmission, 1 s later and then 2 s.
 * <p>
 * The kernel's counter is asserted, not the latency: on a loaded machine the answers come
 * late for other reasons, while an overflow happens on any machine when the queue is too
 * short. The counter is per network namespace, so another process overflowing its own
 * listener at the same moment would fail this test: none does in the suite.
 */
@SimulatedWorkspaceTest
class ConnectionBurstIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	private static final int CONNECTIONS = 1000;

	private static final byte[] REQUEST = ("GET /tokens/v1-weu HTTP/1.1\r\nHost: localhost\r\n"
			+ "Accept: application/json\r\nConnection: close\r\n\r\n")
		.getBytes(StandardCharsets.US_ASCII);

	@LocalServerPort
	int port;

	@Test
	void aThousandConnectionsAtOnceAreAnsweredWithoutWaitingForASynRetransmission() throws IOException {
		long overflowsBefore = listenOverflows();
		long[] answered = burst();
		long overflows = listenOverflows() - overflowsBefore;

		Arrays.sort(answered);
		assertThat(answered[0]).as("every connection answered").isPositive();
		assertThat(overflows).as("handshakes dropped by a full listen queue").isZero();
	}

	/**
	 * The kernel's count of handshakes dropped because a listen queue was full.
	 * @return {@code TcpExt ListenOverflows} of this network namespace
	 */
	private static long listenOverflows() throws IOException {
		List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
		for (int i = 0; i + 1 < lines.size(); i += 2) {
			List<String> names = List.of(lines.get(i).split(" "));
			if (names.get(0).equals("TcpExt:")) {
				return Long.parseLong(lines.get(i + 1).split(" ")[names.indexOf("ListenOverflows")]);
			}
		}
		throw new IllegalStateException("no TcpExt line in /proc/net/netstat");
	}

	/**
	 * Connects all at once without blocking, sends one unauthenticated request on each (a
	 * 401 problem, answered by the full chain) and reads each answer to its end.
	 * @return nanoseconds from the start of the burst to each answer's end
	 */
	private long[] burst() throws IOException {
		long[] answered = new long[CONNECTIONS];
		List<SocketChannel> channels = new ArrayList<>();
		try (Selector selector = Selector.open()) {
			long start = System.nanoTime();
			for (int i = 0; i < CONNECTIONS; i++) {
				SocketChannel channel = SocketChannel.open();
				channels.add(channel);
				channel.configureBlocking(false);
				channel.setOption(StandardSocketOptions.SO_LINGER, 0);
				channel.connect(new InetSocketAddress("127.0.0.1", this.port));
				channel.register(selector, SelectionKey.OP_CONNECT, i);
			}
			int open = CONNECTIONS;
			long deadline = start + TimeUnit.SECONDS.toNanos(30);
			ByteBuffer buffer = ByteBuffer.allocate(8192);
			while (open > 0 && System.nanoTime() < deadline) {
				selector.select(100);
				for (SelectionKey key : selector.selectedKeys()) {
					SocketChannel channel = (SocketChannel) key.channel();
					int index = (int) key.attachment();
					if (key.isConnectable() && channel.finishConnect()) {
						channel.write(ByteBuffer.wrap(REQUEST));
						key.interestOps(SelectionKey.OP_READ);
					}
					else if (key.isReadable()) {
						buffer.clear();
						if (channel.read(buffer) < 0) {
							answered[index] = System.nanoTime() - start;
							key.cancel();
							open--;
						}
					}
				}
				selector.selectedKeys().clear();
			}
		}
		finally {
			for (SocketChannel channel : channels) {
				channel.close();
			}
		}
		return answered;
	}

}
