package com.acme.tokenbroker.it;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.acme.tokenbroker.fleet.FleetRedis;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Refreshes;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.support.TcpProxy;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared second-level cache with a real Redis server and complete broker instances
 * (each its own web server, caches, breakers and Redis connections) in virtual time. The
 * instances reach Redis through a loopback proxy that the tests stop and start, which to
 * them is Redis going away and coming back.
 */
@RequiresRedis
@ExtendWith(OutputCaptureExtension.class)
class FleetIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static SimulatedWorkspace simulator;

	static TcpProxy proxy;

	static LettuceConnectionFactory direct;

	static StringRedisTemplate redis;

	static final String KEY_1 = TestRedis.newEncryptionKey();

	static final String KEY_2 = TestRedis.newEncryptionKey();

	final BrokerInstances fleet = new BrokerInstances(CLOCK);

	final String prefix = "tb-test-" + UUID.randomUUID();

	@BeforeAll
	static void startSimulatorAndProxy() throws Exception {
		simulator = TestWorkspaces.launch(CLOCK);
		URI url = TestRedis.url();
		proxy = new TcpProxy(url.getHost(), url.getPort());
		direct = TestRedis.connect();
		redis = new StringRedisTemplate(direct);
	}

	@AfterAll
	static void stopAll() throws Exception {
		Closeables.closeAll(direct, proxy, simulator);
	}

	@AfterEach
	void stopFleet() throws Exception {
		this.fleet.close();
		proxy.start();
		TestRedis.deleteKeys(redis, this.prefix);
	}

	private Map<String, String> config(String activeKey, Map<String, String> keys) {
		return BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)), this.prefix,
				"127.0.0.1", proxy.port(), activeKey, keys);
	}

	private Map<String, String> config() {
		return config("k1", Map.of("k1", KEY_1));
	}

	private List<ConfigurableApplicationContext> start(int instances, Map<String, String> properties) {
		List<ConfigurableApplicationContext> started = new ArrayList<>();
		for (int i = 0; i < instances; i++) {
			started.add(this.fleet.start(properties));
		}
		return started;
	}

	private static String caller() {
		return CallerTokens.app(simulator);
	}

	private static long tokenCalls(String region) {
		return simulator.callCount(region, Operation.MMS_TOKEN) + simulator.callCount(region, Operation.ARM_TOKEN);
	}

	/** Every instance asks for the service at once, over HTTP. */
	private static List<Http.Response> getEverywhere(List<ConfigurableApplicationContext> instances, String service) {
		String caller = caller();
		List<CompletableFuture<Http.Response>> responses = instances.stream()
			.map((instance) -> CompletableFuture
				.supplyAsync(() -> new Http(BrokerInstances.port(instance)).get("/tokens/" + service, caller)))
			.toList();
		return responses.stream().map(CompletableFuture::join).toList();
	}

	/** Every instance runs its due refreshes at once; waits for all. */
	private static void refreshEverywhere(List<ConfigurableApplicationContext> instances) throws Exception {
		for (Exception failure : Refreshes.runDueEverywhere(instances, Duration.ofSeconds(15))) {
			// a failed refresh is for the assertions on what callers get and what the
			// upstream saw; one that hangs fails the test
			if (failure instanceof TimeoutException) {
				throw failure;
			}
		}
	}

	private static Set<String> servedTokens(List<Http.Response> responses) {
		for (Http.Response response : responses) {
			assertThat(response.status()).as(response::body).isEqualTo(200);
		}
		return responses.stream()
			.map((response) -> response.json().get("accessToken").stringValue())
			.collect(Collectors.toSet());
	}

	@Test
	void twentyInstancesMakeOneUpstreamCallPerServiceAndRefresh() throws Exception {
		List<ConfigurableApplicationContext> instances = start(20, config());
		Map<String, String> regions = new LinkedHashMap<>();
		regions.put("v1-weu", "westeurope");
		regions.put("v2-weu", "westeurope");
		regions.put("v1-eus", "eastus");

		Map<String, String> first = new LinkedHashMap<>();
		for (Map.Entry<String, String> service : regions.entrySet()) {
			long before = tokenCalls(service.getValue());
			Set<String> tokens = servedTokens(getEverywhere(instances, service.getKey()));
			assertThat(tokenCalls(service.getValue()) - before).as("cold: upstream calls for " + service.getKey())
				.isEqualTo(1);
			assertThat(tokens).as("every instance serves the one token").hasSize(1);
			first.put(service.getKey(), tokens.iterator().next());
		}

		for (int round = 1; round <= 2; round++) {
			JsonNode sample = new Http(BrokerInstances.port(instances.get(0))).get("/tokens/v1-weu", caller()).json();
			CLOCK.advance(Duration.between(CLOCK.instant(), Instant.parse(sample.get("refreshBy").stringValue()))
				.plusSeconds(1));
			long weuBefore = tokenCalls("westeurope");
			long eusBefore = tokenCalls("eastus");

			refreshEverywhere(instances);

			assertThat(tokenCalls("westeurope") - weuBefore).as("round " + round + ": westeurope, two services")
				.isEqualTo(2);
			assertThat(tokenCalls("eastus") - eusBefore).as("round " + round + ": eastus, one service").isEqualTo(1);
			for (String service : regions.keySet()) {
				List<Http.Response> responses = getEverywhere(instances, service);
				Set<String> tokens = servedTokens(responses);
				assertThat(tokens).as("every instance took the refreshed token of " + service).hasSize(1);
				assertThat(tokens).doesNotContain(first.get(service));
				assertThat(responses)
					.allSatisfy((response) -> assertThat(response.json().get("stale").booleanValue()).isFalse());
				first.put(service, tokens.iterator().next());
			}
			assertThat(tokenCalls("westeurope") - weuBefore).as("serving made no further call").isEqualTo(2);
		}
	}

	@Test
	void redisStoppedMidRunCostsCallersNothingAndSharingResumesWhenItReturns(CapturedOutput output) throws Exception {
		Map<String, String> properties = config();
		properties.put("broker.tokens.refresh-jitter", "0s");
		List<ConfigurableApplicationContext> instances = start(3, properties);
		for (String required : List.of("v1-weu", "v2-weu", "v1-eus")) {
			assertThat(servedTokens(getEverywhere(instances, required))).hasSize(1);
		}

		proxy.stop();
		List<Http.Response> duringOutage = new ArrayList<>(getEverywhere(instances, "v1-weu"));
		long before = tokenCalls("westeurope");
		duringOutage.addAll(getEverywhere(instances, "spare-1"));
		assertThat(tokenCalls("westeurope") - before).as("cold, Redis down: each instance fetches alone").isEqualTo(3);
		JsonNode sample = duringOutage.get(0).json();
		CLOCK.advance(
				Duration.between(CLOCK.instant(), Instant.parse(sample.get("refreshBy").stringValue())).plusSeconds(1));
		refreshEverywhere(instances);
		duringOutage.addAll(getEverywhere(instances, "v1-weu"));
		duringOutage.addAll(getEverywhere(instances, "spare-1"));
		assertThat(duringOutage).as("no caller saw an error while Redis was down")
			.allSatisfy((response) -> assertThat(response.status()).as(response::body).isEqualTo(200));
		for (ConfigurableApplicationContext instance : instances) {
			assertThat(instance.getBean(CircuitBreakers.class).all().get(CircuitBreakers.FLEET_REDIS).getState())
				.isEqualTo(CircuitBreaker.State.OPEN);
		}
		assertThat(output.getAll()).doesNotContain("Exception in thread");
		for (ConfigurableApplicationContext instance : instances) {
			Http management = new Http(
					Integer.parseInt(instance.getEnvironment().getProperty("local.management.port")));
			assertThat(management.get("/actuator/health/readiness", null).status()).as("Redis down is not an outage")
				.isEqualTo(200);
			assertThat(management.get("/actuator/prometheus", null, "text/plain").body())
				.as("the Redis breaker, in the metrics")
				.containsPattern(
						"(?m)^resilience4j_circuitbreaker_state\\{[^}]*name=\"fleet-redis\"[^}]*state=\"open\"[^}]*} 1\\.0$");
		}

		proxy.start();
		awaitRedisReachableFrom(instances);
		CLOCK.advance(Duration.ofSeconds(11));
		long beforeRejoin = tokenCalls("westeurope");
		for (ConfigurableApplicationContext instance : instances) {
			assertThat(new Http(BrokerInstances.port(instance)).get("/tokens/spare-3", caller()).status())
				.isEqualTo(200);
			assertThat(instance.getBean(CircuitBreakers.class).all().get(CircuitBreakers.FLEET_REDIS).getState())
				.as("the probe after the breaker's wait closed it")
				.isEqualTo(CircuitBreaker.State.CLOSED);
		}
		assertThat(tokenCalls("westeurope") - beforeRejoin).as("sharing resumed: a cold service is fetched once")
			.isEqualTo(1);
		sample = getEverywhere(instances, "v1-weu").get(0).json();
		CLOCK.advance(
				Duration.between(CLOCK.instant(), Instant.parse(sample.get("refreshBy").stringValue())).plusSeconds(1));
		beforeRejoin = tokenCalls("westeurope");

		refreshEverywhere(instances);

		assertThat(tokenCalls("westeurope") - beforeRejoin)
			.as("sharing resumed: one refresh each of v1-weu, v2-weu and spare-1 for the fleet")
			.isEqualTo(3);
		assertThat(servedTokens(getEverywhere(instances, "v1-weu"))).hasSize(1);
		assertThat(servedTokens(getEverywhere(instances, "spare-1"))).hasSize(1);
	}

	/**
	 * Lettuce reconnects on its own after a short delay; the broker's Redis breaker then
	 * lets a probe through.
	 */
	private static void awaitRedisReachableFrom(List<ConfigurableApplicationContext> instances) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
		for (ConfigurableApplicationContext instance : instances) {
			StringRedisTemplate template = instance.getBean(FleetRedis.class).template();
			while (true) {
				try {
					template.hasKey("probe");
					break;
				}
				catch (RuntimeException ex) {
					assertThat(System.nanoTime()).as("Redis reachable again within 20 s").isLessThan(deadline);
					Thread.sleep(100);
				}
			}
		}
	}

	@Test
	void valuesInRedisAreSealedAndAWrongOrRotatedKeyIsHandled(CapturedOutput output) {
		ConfigurableApplicationContext first = this.fleet.start(config("k1", Map.of("k1", KEY_1)));
		String token = new Http(BrokerInstances.port(first)).get("/tokens/v1-weu", caller())
			.json()
			.get("accessToken")
			.stringValue();

		Set<String> keys = redis.keys(this.prefix + ":token:*");
		assertThat(keys).hasSize(1);
		String raw = redis.opsForValue().get(keys.iterator().next());
		assertThat(raw).startsWith("tb1.k1.").doesNotContain(token);
		assertThat(new String(Base64.getUrlDecoder().decode(raw.substring("tb1.k1.".length())),
				StandardCharsets.ISO_8859_1))
			.doesNotContain(token.substring(token.length() - 24));
		assertThat(Pattern.compile("eyJ[A-Za-z0-9_-]{8,}").matcher(raw).find()).as("no JWT-shaped text").isFalse();

		long before = tokenCalls("westeurope");
		ConfigurableApplicationContext rotated = this.fleet.start(config("k2", Map.of("k1", KEY_1, "k2", KEY_2)));
		Http.Response fromRotated = new Http(BrokerInstances.port(rotated)).get("/tokens/v1-weu", caller());
		assertThat(fromRotated.json().get("accessToken").stringValue()).as("a new active key still opens old values")
			.isEqualTo(token);
		assertThat(tokenCalls("westeurope")).isEqualTo(before);

		ConfigurableApplicationContext wrong = this.fleet
			.start(config("k9", Map.of("k9", TestRedis.newEncryptionKey())));
		Http.Response fromWrong = new Http(BrokerInstances.port(wrong)).get("/tokens/v1-weu", caller());
		assertThat(fromWrong.status()).as("a value that does not open is a miss, not an error").isEqualTo(200);
		assertThat(fromWrong.json().get("accessToken").stringValue()).isNotEqualTo(token);
		assertThat(tokenCalls("westeurope") - before).isEqualTo(1);
		assertThat(output.getAll()).contains("does not open with any configured key (key id 'k1')");
		assertThat(redis.opsForValue().get(keys.iterator().next())).startsWith("tb1.k9.");

		redis.opsForValue().set(keys.iterator().next(), "tb1.k1.AAAAgarbage");
		ConfigurableApplicationContext cold = this.fleet.start(config());
		assertThat(new Http(BrokerInstances.port(cold)).get("/tokens/v1-weu", caller()).status())
			.as("a corrupt value is a miss and never breaks the cache")
			.isEqualTo(200);
		assertThat(tokenCalls("westeurope") - before).isEqualTo(2);
	}

	@Test
	void redisAuthenticationUsesSpringBootsPropertiesAndAWrongPasswordMeansWorkingAlone() {
		String user = "tb-" + UUID.randomUUID();
		String password = UUID.randomUUID().toString();
		SecretLedger.record(password);
		io.lettuce.core.RedisClient admin = io.lettuce.core.RedisClient.create(TestRedis.url().toString());
		io.lettuce.core.api.StatefulRedisConnection<String, String> adminConnection = admin.connect();
		adminConnection.sync()
			.aclSetuser(user,
					io.lettuce.core.AclSetuserArgs.Builder.on()
						.addPassword(password)
						.keyPattern(this.prefix + ":*")
						.allCommands());
		try {
			Map<String, String> authenticated = config();
			authenticated.put("spring.data.redis.username", user);
			authenticated.put("spring.data.redis.password", password);
			Map<String, String> wrong = config();
			wrong.put("spring.data.redis.username", user);
			wrong.put("spring.data.redis.password", "not-the-password");
			ConfigurableApplicationContext first = this.fleet.start(authenticated);
			ConfigurableApplicationContext second = this.fleet.start(authenticated);
			ConfigurableApplicationContext outsider = this.fleet.start(wrong);
			long before = tokenCalls("westeurope");

			Set<String> tokens = servedTokens(getEverywhere(List.of(first, second), "v1-weu"));
			assertThat(tokens).hasSize(1);
			assertThat(tokenCalls("westeurope") - before).as("shared through the authenticated user").isEqualTo(1);
			assertThat(redis.keys(this.prefix + ":token:*")).hasSize(1);

			Http.Response alone = new Http(BrokerInstances.port(outsider)).get("/tokens/v1-weu", caller());
			assertThat(alone.status()).as("refused by Redis: the instance works alone").isEqualTo(200);
			assertThat(tokenCalls("westeurope") - before).isEqualTo(2);
		}
		finally {
			adminConnection.sync().aclDeluser(user);
			adminConnection.close();
			admin.shutdown();
		}
	}

	@Test
	void theFleetSharesOneRequestBudgetPerRegion() {
		List<ConfigurableApplicationContext> instances = start(3, config());
		long before = simulator.callCount("northeurope", Operation.ARM_TOKEN)
				+ simulator.callCount("northeurope", Operation.ARM_GET_ENDPOINT);
		long tokensBefore = simulator.callCount("northeurope", Operation.ARM_TOKEN);
		List<Http.Response> responses = new ArrayList<>();
		for (int i = 1; i <= 6; i++) {
			ConfigurableApplicationContext instance = instances.get(i % 3);
			responses.add(new Http(BrokerInstances.port(instance)).get("/tokens/budget-" + i, caller()));
		}

		long calls = simulator.callCount("northeurope", Operation.ARM_TOKEN)
				+ simulator.callCount("northeurope", Operation.ARM_GET_ENDPOINT) - before;
		assertThat(calls).as("three instances, each allowed 3 calls an hour alone, make 3 together, metadata included")
			.isEqualTo(3);
		long served = responses.stream().filter((response) -> response.status() == 200).count();
		assertThat(served).isEqualTo(simulator.callCount("northeurope", Operation.ARM_TOKEN) - tokensBefore);
		assertThat(responses.stream().filter((response) -> response.status() != 200)).hasSize(6 - (int) served)
			.allSatisfy((response) -> {
				assertThat(response.status()).isEqualTo(503);
				assertThat(response.body()).contains("upstream-budget-spent");
			});
	}

}
