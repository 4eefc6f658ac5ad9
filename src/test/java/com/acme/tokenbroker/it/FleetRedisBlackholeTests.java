package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.tokenbroker.fleet.FleetRedis;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.NftBlackhole;
import com.acme.tokenbroker.support.RequiresNftables;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.TcpProxy;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import io.lettuce.core.event.Event;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ConnectionEvent;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 11, with a real blackhole: a fleet broker reaches Redis through a
 * loopback proxy whose port the kernel then stops delivering packets to or from
 * (nftables, {@link NftBlackhole}): nothing is refused or reset, as when a Redis node
 * loses power or a network partition drops its traffic. The Redis socket options
 * ({@link FleetRedisSocketOptionsTests}) must turn that silence into a closed connection
 * in seconds, not after the kernel's 15 minutes of retransmissions (data in flight) or
 * never (an idle connection without keepalive), while callers keep getting tokens from
 * the broker's own cache; once the packets flow again, Lettuce reconnects and the broker
 * shares through Redis again. Wall time is measured, since the kernel's timers are real;
 * the bound asserted is loose, the measured times are printed.
 */
@RequiresRedis
@RequiresNftables
class FleetRedisBlackholeTests {

	/** Far below the kernel's defaults, far above the configured 10 to 11 s. */
	static final Duration DETECTION_BOUND = Duration.ofSeconds(30);

	static final Duration RECONNECT_BOUND = Duration.ofSeconds(20);

	static final Pattern SS_TIMER = Pattern.compile("timer:\\((\\w+),");

	static final MutableClock CLOCK = MutableClock.startingNow();

	static SimulatedWorkspace simulator;

	static TcpProxy proxy;

	static NftBlackhole blackhole;

	@BeforeAll
	static void startSimulatorProxyAndBlackhole() throws IOException {
		simulator = TestWorkspaces.launch(CLOCK);
		URI url = TestRedis.url();
		proxy = new TcpProxy(url.getHost(), url.getPort());
		blackhole = NftBlackhole.forLoopbackPort(proxy.port());
	}

	/** A test that failed mid-blackhole leaves none to the next. */
	@AfterEach
	void liftBlackhole() {
		blackhole.lift();
	}

	@AfterAll
	static void stopAll() throws Exception {
		Closeables.closeAll(blackhole, proxy, simulator);
	}

	@Test
	void anIdleConnectionToABlackholedRedisIsClosedByKeepaliveInSeconds() throws Exception {
		try (Broker broker = Broker.start()) {
			assertThat(broker.get("v1-weu").status()).isEqualTo(200);

			long dropped = blackhole.drop();
			Outage outage = broker.awaitDisconnect(dropped);
			blackhole.lift();

			assertClosedInSecondsWhileServing("idle connection (keepalive)", outage,
					"an idle blackholed connection is closed in seconds");
			assertKernelTimers(outage, "ss: the kernel probed an idle connection (keepalive timer)", "keepalive", "on");
			broker.awaitReconnectAndShareAgain();
		}
	}

	@Test
	void unacknowledgedDataToABlackholedRedisClosesTheConnectionAfterTheTcpUserTimeout() throws Exception {
		try (Broker broker = Broker.start()) {
			Http.Response first = broker.get("v1-weu");
			assertThat(first.status()).isEqualTo(200);

			long dropped = blackhole.drop();
			CLOCK.advance(Duration.between(CLOCK.instant(), Instant.parse(first.json().get("refreshBy").stringValue()))
				.plusSeconds(1));
			double aloneBefore = broker.lookups("alone");
			// the refresh looks in Redis first: the command is sent, never acknowledged,
			// times out (spring.data.redis.timeout), and the instance fetches alone
			broker.refreshDue();
			assertThat(broker.lookups("alone") - aloneBefore).as("Redis unanswered: the refresh fetched alone")
				.isEqualTo(1);
			Outage outage = broker.awaitDisconnect(dropped);
			blackhole.lift();

			assertClosedInSecondsWhileServing("data in flight (TCP_USER_TIMEOUT)", outage,
					"a blackholed connection with data in flight is closed in seconds");
			assertKernelTimers(outage,
					"ss: the kernel retransmitted unacknowledged data (the keepalive timer never ran)", "on",
					"keepalive");
			broker.awaitReconnectAndShareAgain();
		}
	}

	/**
	 * Reports the outage, then checks the broker closed the blackholed connection in
	 * seconds while callers were served from its own cache.
	 */
	private static void assertClosedInSecondsWhileServing(String scenario, Outage outage, String detection) {
		report(scenario, outage);
		assertThat(outage.detection()).as(detection).isLessThan(DETECTION_BOUND);
		assertThat(outage.failedCalls()).as("callers served from the broker's own cache meanwhile").isZero();
		assertThat(outage.servedCalls()).isPositive();
	}

	/** Which kernel timer ran on the connection, when ss could tell. */
	private static void assertKernelTimers(Outage outage, String description, String ran, String neverRan) {
		if (outage.timers() != null) {
			assertThat(outage.timers()).as(description).contains(ran).doesNotContain(neverRan);
		}
	}

	private static void report(String scenario, Outage outage) {
		System.out.printf(
				"Redis blackholed, %s: connection closed after %.1f s; %d caller requests served, %d failed;"
						+ " kernel timers seen (ss): %s%n",
				scenario, outage.detection().toMillis() / 1000.0, outage.servedCalls(), outage.failedCalls(),
				(outage.timers() != null) ? outage.timers() : "ss n/a");
	}

	/**
	 * What one blackhole did.
	 *
	 * @param detection from the first dropped packet to Lettuce's disconnect
	 * @param servedCalls caller requests answered 200 meanwhile
	 * @param failedCalls caller requests answered otherwise
	 * @param timers the timer kinds {@code ss -o} showed on the connection, {@code null}
	 * without {@code ss}
	 */
	record Outage(Duration detection, int servedCalls, int failedCalls, Set<String> timers) {
	}

	/** One fleet broker reaching Redis through the blackholed port. */
	static final class Broker implements AutoCloseable {

		private final BrokerInstances instances = new BrokerInstances(CLOCK);

		private final BlockingQueue<ConnectionEvent> events = new LinkedBlockingQueue<>();

		private ConfigurableApplicationContext context;

		private Disposable subscription;

		static Broker start() {
			Broker broker = new Broker();
			try {
				Map<String, String> properties = BrokerInstances.withFleet(
						BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)),
						"tb-test-" + UUID.randomUUID(), "127.0.0.1", proxy.port(), "k1",
						Map.of("k1", TestRedis.newEncryptionKey()));
				properties.put("broker.tokens.refresh-jitter", "0s");
				broker.context = broker.instances.start(properties);
				broker.subscription = broker.context.getBean(FleetRedis.class)
					.clientResources()
					.eventBus()
					.get()
					.subscribe(broker::onEvent);
				return broker;
			}
			catch (RuntimeException ex) {
				broker.close();
				throw ex;
			}
		}

		private void onEvent(Event event) {
			if (event instanceof ConnectionEvent connection
					&& connection.remoteAddress() instanceof InetSocketAddress remote
					&& remote.getPort() == proxy.port()) {
				this.events.add(connection);
			}
		}

		Http.Response get(String service) {
			String caller = simulator.mintCallerToken("app", "api://token-broker", Map.of(), Duration.ofMinutes(10));
			return new Http(BrokerInstances.port(this.context)).get("/tokens/" + service, caller);
		}

		void refreshDue() throws Exception {
			for (CompletableFuture<BrokeredToken> refresh : this.context.getBean(TokenCache.class)
				.runDueRefreshes()
				.values()) {
				refresh.get(15, TimeUnit.SECONDS);
			}
		}

		double lookups(String outcome) {
			Counter counter = this.context.getBean(MeterRegistry.class)
				.find("broker.fleet.lookups")
				.tag("outcome", outcome)
				.counter();
			return (counter != null) ? counter.count() : 0;
		}

		/**
		 * Wait for Lettuce to see its connection closed, asking the broker for a token
		 * about once a second meanwhile and watching the socket's kernel timers.
		 * @param start when the blackhole started ({@link System#nanoTime()})
		 */
		Outage awaitDisconnect(long start) throws Exception {
			long deadline = start + DETECTION_BOUND.plusSeconds(10).toNanos();
			int served = 0;
			int failed = 0;
			Set<String> timers = new LinkedHashSet<>();
			boolean ss = true;
			while (System.nanoTime() < deadline) {
				ConnectionEvent event = this.events.poll(1, TimeUnit.SECONDS);
				if (event instanceof DisconnectedEvent) {
					return new Outage(Duration.ofNanos(System.nanoTime() - start), served, failed, ss ? timers : null);
				}
				if (get("v1-weu").status() == 200) {
					served++;
				}
				else {
					failed++;
				}
				ss = ss && sampleTimers(timers);
			}
			throw new AssertionError("Lettuce still saw its connection to the blackholed Redis open after "
					+ Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s; ss saw " + timers);
		}

		/**
		 * @return whether {@code ss} ran; adds the kernel timers of this broker's
		 * established connections to the proxy
		 */
		private static boolean sampleTimers(Set<String> timers) throws InterruptedException {
			try {
				Process process = new ProcessBuilder("ss", "-tnoH", "state", "established", "(", "dport", "=",
						":" + proxy.port(), ")")
					.redirectErrorStream(true)
					.start();
				String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
				if (!process.waitFor(5, TimeUnit.SECONDS) || process.exitValue() != 0) {
					return false;
				}
				Matcher timer = SS_TIMER.matcher(output);
				while (timer.find()) {
					timers.add(timer.group(1));
				}
				return true;
			}
			catch (IOException ex) {
				return false;
			}
		}

		/**
		 * After the blackhole is lifted: Lettuce reconnects, and the broker shares
		 * through Redis again (its next refresh takes the lock and stores the token for
		 * the fleet).
		 */
		void awaitReconnectAndShareAgain() throws Exception {
			long start = System.nanoTime();
			long deadline = start + RECONNECT_BOUND.toNanos();
			ConnectionEvent event = null;
			while (!(event instanceof ConnectionActivatedEvent) && System.nanoTime() < deadline) {
				event = this.events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			assertThat(event).as("Lettuce reconnected within " + RECONNECT_BOUND + " of the blackhole's end")
				.isInstanceOf(ConnectionActivatedEvent.class);
			System.out.printf("Redis blackhole lifted: reconnected after %.1f s%n",
					(System.nanoTime() - start) / 1_000_000_000.0);

			// past the Redis breaker's wait, should the failed commands have opened it
			CLOCK.advance(Duration.ofSeconds(11));
			Http.Response current = get("v1-weu");
			assertThat(current.status()).isEqualTo(200);
			CLOCK
				.advance(Duration.between(CLOCK.instant(), Instant.parse(current.json().get("refreshBy").stringValue()))
					.plusSeconds(1));
			double fetchedBefore = lookups("fetched");
			double aloneBefore = lookups("alone");

			refreshDue();

			assertThat(lookups("fetched") - fetchedBefore).as("the refresh fetched for the fleet, through Redis")
				.isEqualTo(1);
			assertThat(lookups("alone") - aloneBefore).as("... not alone").isZero();
		}

		@Override
		public void close() {
			if (this.subscription != null) {
				this.subscription.dispose();
			}
			this.instances.close();
		}

	}

}
