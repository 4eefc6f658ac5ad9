package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.TestRedis;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar started as the image starts it, with Spring AOT
 * ({@code -Dspring.aot.enabled=true}: the bean definitions generated when the jar was
 * built), on the embedded simulator: it serves a token, and so does fleet mode, whose
 * beans chose Redis at run time. Runs in the {@code verify} phase (failsafe), on the JDK
 * that built the jar, as the AOT processing requires.
 */
class AotStartIT {

	private static final Duration START_LIMIT = Duration.ofSeconds(60);

	@Test
	void theJarStartsWithSpringAotOnTheSimulatorAndServesAToken() throws Exception {
		try (Broker broker = Broker.start("simulator", List.of(), Map.of())) {
			broker.assertServesAToken();
		}
	}

	@Nested
	@RequiresRedis
	class FleetMode {

		@Test
		void theJarStartsWithSpringAotInFleetModeAndSharesTheTokenThroughRedis() throws Exception {
			String prefix = "tb-aot-" + UUID.randomUUID();
			List<String> args = List.of("--broker.fleet.enabled=true", "--broker.fleet.key-prefix=" + prefix,
					"--broker.fleet.encryption.active-key=k1", "--spring.data.redis.host=" + TestRedis.url().getHost(),
					"--spring.data.redis.port=" + TestRedis.url().getPort());
			LettuceConnectionFactory direct = TestRedis.connect();
			try (Broker broker = Broker.start("fleet", args,
					Map.of("BROKER_FLEET_ENCRYPTION_KEYS_K1", TestRedis.newEncryptionKey()))) {
				broker.assertServesAToken();
				StringRedisTemplate redis = new StringRedisTemplate(direct);
				assertThat(redis.keys(prefix + ":token:*")).as("the token shared through Redis")
					.anyMatch((key) -> key.startsWith(prefix + ":token:{fraud-scoring:"));
				TestRedis.deleteKeys(redis, prefix);
			}
			finally {
				direct.destroy();
			}
		}

	}

	/** The jar in a process of its own, on free loopback ports. */
	static final class Broker implements AutoCloseable {

		private final Process process;

		private final Path log;

		private final Http api;

		private Broker(Process process, Path log, int port) {
			this.process = process;
			this.log = log;
			this.api = new Http(port);
		}

		static Broker start(String name, List<String> args, Map<String, String> environment) throws Exception {
			String jar = System.getProperty("broker.jar");
			assertThat(jar).as("failsafe passes the packaged jar as broker.jar").isNotBlank();
			int port = freePort();
			List<String> command = new ArrayList<>(
					List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
							"-Dspring.aot.enabled=true", "-jar", jar, "--spring.profiles.active=simulator",
							"--server.port=" + port, "--management.server.port=" + freePort()));
			command.addAll(args);
			Path log = Path.of("target", "aot-start-" + name + ".log");
			ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
			builder.environment().putAll(environment);
			Broker broker = new Broker(builder.start(), log, port);
			try {
				broker.awaitStarted();
			}
			catch (Exception | AssertionError ex) {
				broker.close();
				throw ex;
			}
			return broker;
		}

		private void awaitStarted() throws Exception {
			long deadline = System.nanoTime() + START_LIMIT.toNanos();
			while (!logged("Started TokenBrokerApplication")) {
				assertThat(this.process.isAlive()).as("the broker is running (see %s)", this.log).isTrue();
				assertThat(System.nanoTime()).as("started within %s (see %s)", START_LIMIT, this.log)
					.isLessThan(deadline);
				Thread.sleep(100);
			}
			assertThat(logged("Starting AOT-processed TokenBrokerApplication"))
				.as("the context came from the AOT-generated initializer")
				.isTrue();
		}

		void assertServesAToken() {
			Http.Response minted = this.api.post("/simulator/caller-tokens?subject=demo-app");
			assertThat(minted.status()).isEqualTo(200);
			String caller = minted.json().get("accessToken").stringValue();
			Http.Response token = this.api.get("/tokens/fraud-scoring", caller);
			assertThat(token.status()).isEqualTo(200);
			assertThat(token.json().get("accessToken").stringValue()).isNotBlank();
		}

		private boolean logged(String text) throws IOException {
			return Files.exists(this.log) && Files.readString(this.log, StandardCharsets.UTF_8).contains(text);
		}

		@Override
		public void close() throws Exception {
			this.process.destroy();
			if (!this.process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor();
			}
		}

		private static int freePort() throws IOException {
			try (ServerSocket socket = new ServerSocket(0)) {
				return socket.getLocalPort();
			}
		}

	}

}
