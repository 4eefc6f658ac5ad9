package com.acme.tokenbroker.it;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lock holder dies mid-fetch: a broker in its own JVM takes a service's lock, its
 * upstream call hangs, and it is killed with SIGKILL, so nothing releases the lock. The
 * rest of the fleet fails fast and clearly while the lease runs, then exactly one
 * instance fetches and every instance serves that token.
 */
@RequiresRedis
class FleetLockHolderCrashTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Duration LEASE = Duration.ofSeconds(20);

	static SimulatedWorkspace simulator;

	static LettuceConnectionFactory direct;

	static StringRedisTemplate redis;

	final String prefix = "tb-crash-" + UUID.randomUUID();

	final String key = TestRedis.newEncryptionKey();

	@BeforeAll
	static void start() {
		simulator = TestWorkspaces.launch(CLOCK);
		direct = TestRedis.connect();
		redis = new StringRedisTemplate(direct);
	}

	@AfterAll
	static void stop() throws Exception {
		Closeables.closeAll(direct, simulator);
	}

	private Map<String, String> config() {
		URI url = TestRedis.url();
		Map<String, String> properties = BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)), this.prefix,
				url.getHost(), url.getPort(), "k1", Map.of("k1", this.key));
		properties.put("broker.fleet.lock-lease", LEASE.toSeconds() + "s");
		properties.put("broker.fleet.peer-wait", "500ms");
		properties.put("broker.upstream.call-timeout", "10s");
		return properties;
	}

	private static String caller() {
		return CallerTokens.app(simulator);
	}

	@Test
	void aLockHolderKilledMidFetchIsReplacedAfterItsLeaseWithExactlyOneFetch() throws Exception {
		long tokenCallsBefore = simulator.callCount("westeurope", Operation.ARM_TOKEN);
		long metadataBefore = simulator.callCount("westeurope", Operation.ARM_GET_ENDPOINT);
		int port = freePort();
		Map<String, String> childConfig = config();
		childConfig.put("broker.upstream.read-timeout", "10s");
		childConfig.put("broker.tokens.cold-miss-deadline", "60s");
		childConfig.put("server.port", Integer.toString(port));
		childConfig.put("management.server.port", "0");
		Process holder = startChild(childConfig);
		try {
			awaitListening(holder, port);
			simulator.faults("westeurope").set(Fault.hang());
			CompletableFuture.runAsync(() -> new Http(port).get("/tokens/v2-weu", caller()));
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
			while (simulator.callCount("westeurope", Operation.ARM_GET_ENDPOINT) == metadataBefore) {
				assertThat(System.nanoTime()).as("the holder's upstream call started").isLessThan(deadline);
				Thread.sleep(20);
			}
			assertThat(redis.keys(this.prefix + ":lock:*")).as("the holder took the lock").hasSize(1);
		}
		finally {
			holder.destroyForcibly();
			assertThat(holder.waitFor(20, TimeUnit.SECONDS)).isTrue();
			simulator.faults("westeurope").clear();
		}
		String holderLog = Files.readString(Path.of("target", "fleet-crash-holder.log"));
		assertThat(holderLog).contains("Started TokenBrokerApplication");
		assertThat(SecretLedger.secrets()).allSatisfy((secret) -> assertThat(holderLog).doesNotContain(secret));
		String lockKey = redis.keys(this.prefix + ":lock:*").iterator().next();
		assertThat(redis.getExpire(lockKey, TimeUnit.MILLISECONDS)).as("the dead holder's lock outlives it")
			.isPositive();

		try (BrokerInstances fleet = new BrokerInstances(CLOCK)) {
			List<ConfigurableApplicationContext> peers = List.of(fleet.start(config()), fleet.start(config()));
			assertThat(redis.hasKey(lockKey)).as("the lease still runs").isTrue();
			long started = System.nanoTime();
			Http.Response during = new Http(BrokerInstances.port(peers.get(0))).get("/tokens/v2-weu", caller());
			assertThat(Duration.ofNanos(System.nanoTime() - started)).as("fails fast")
				.isLessThan(Duration.ofSeconds(3));
			assertThat(during.status()).as("no token while the lease runs").isEqualTo(503);
			assertThat(during.header("Content-Type")).startsWith("application/problem+json");
			assertThat(Long.parseLong(during.header("Retry-After"))).isBetween(1L, LEASE.toSeconds() + 2);
			assertThat(during.body()).contains("peer_fetching");
			long deadline = System.nanoTime() + LEASE.plusSeconds(10).toNanos();
			while (Boolean.TRUE.equals(redis.hasKey(lockKey))) {
				assertThat(System.nanoTime()).as("the lease expires").isLessThan(deadline);
				Thread.sleep(100);
			}

			List<Http.Response> responses = new ArrayList<>();
			for (ConfigurableApplicationContext peer : peers) {
				responses.add(new Http(BrokerInstances.port(peer)).get("/tokens/v2-weu", caller()));
			}

			assertThat(responses)
				.allSatisfy((response) -> assertThat(response.status()).as(response::body).isEqualTo(200));
			Set<String> tokens = responses.stream()
				.map((response) -> response.json().get("accessToken").stringValue())
				.collect(Collectors.toSet());
			assertThat(tokens).as("one token for the fleet").hasSize(1);
			assertThat(simulator.callCount("westeurope", Operation.ARM_TOKEN) - tokenCallsBefore)
				.as("exactly one token fetch in all: the dead holder's never reached the token call")
				.isEqualTo(1);
		}
	}

	private static Process startChild(Map<String, String> properties) throws Exception {
		String java = ProcessHandle.current().info().command().orElse("java");
		String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
			.filter((entry) -> !entry.endsWith("test-classes"))
			.collect(Collectors.joining(File.pathSeparator));
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath,
				TokenBrokerApplication.class.getName()));
		properties.forEach((name, value) -> command.add("--" + name + "=" + value));
		Path log = Files.createDirectories(Path.of("target")).resolve("fleet-crash-holder.log");
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
	}

	private static void awaitListening(Process child, int port) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (true) {
			assertThat(child.isAlive()).as("the holder broker started (see target/fleet-crash-holder.log)").isTrue();
			try {
				if (new Http(port).get("/tokens/v2-weu", null).status() == 401) {
					return;
				}
			}
			catch (RuntimeException ex) {
				// not listening yet
			}
			assertThat(System.nanoTime()).as("the holder broker listens within 90 s").isLessThan(deadline);
			Thread.sleep(200);
		}
	}

	private static int freePort() throws Exception {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
