package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.acme.tokenbroker.fleet.FleetRedis;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.SimulatedWorkspaceHarness;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.resource.EpollProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 11: a blackholed Redis (packets dropped, nothing refused) is noticed by
 * the socket in seconds, not after the kernel's two hours of keepalive silence or its
 * fifteen minutes of retransmissions. The options are read from the connection factory of
 * a booted fleet broker, so they are the ones Lettuce really connects with, on top of
 * Spring Boot's own ({@code spring.data.redis.connect-timeout} is kept).
 */
@RequiresRedis
@ExtendWith(SimulatedWorkspaceHarness.class)
class FleetRedisSocketOptionsTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace simulator = TestWorkspaces.launch(CLOCK);

	@Test
	void aFleetBrokerConnectsToRedisWithKeepaliveAndTcpUserTimeoutOverANativeTransport() {
		Map<String, String> properties = BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)),
				"tb-test-" + UUID.randomUUID(), TestRedis.url().getHost(), TestRedis.url().getPort(), "k1",
				Map.of("k1", TestRedis.newEncryptionKey()));
		properties.put("spring.data.redis.connect-timeout", "1500ms");
		try (BrokerInstances fleet = new BrokerInstances(CLOCK)) {
			ConfigurableApplicationContext broker = fleet.start(properties);

			ClientOptions options = broker.getBean(FleetRedis.class)
				.connectionFactory()
				.getClientConfiguration()
				.getClientOptions()
				.orElseThrow();
			SocketOptions socket = options.getSocketOptions();

			assertThat(socket.isKeepAlive()).as("SO_KEEPALIVE").isTrue();
			assertThat(socket.getKeepAlive().getIdle()).isEqualTo(Duration.ofSeconds(5));
			assertThat(socket.getKeepAlive().getInterval()).isEqualTo(Duration.ofSeconds(2));
			assertThat(socket.getKeepAlive().getCount()).isEqualTo(3);
			assertThat(socket.getTcpUserTimeout().isEnabled()).as("TCP_USER_TIMEOUT").isTrue();
			assertThat(socket.getTcpUserTimeout().getTcpUserTimeout()).isEqualTo(Duration.ofSeconds(10));
			assertThat(socket.getConnectTimeout()).as("Spring Boot's connect timeout is kept")
				.isEqualTo(Duration.ofMillis(1500));
			assertThat(options.getDisconnectedBehavior()).as("the fail-fast options are kept")
				.isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
			// Lettuce applies TCP_USER_TIMEOUT and the keepalive timings only on a native
			// transport (epoll on Linux)
			assertThat(EpollProvider.isAvailable()).as("netty's native epoll transport is on the classpath").isTrue();
		}
	}

}
