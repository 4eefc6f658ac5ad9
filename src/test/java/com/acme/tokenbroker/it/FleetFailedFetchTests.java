package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 10: a failed fetch is shared across the fleet. The instance that held
 * the service's lock leaves a short sealed "failed until" record (failure kind, status,
 * until when; no secret), so the instances that waited for it, and those that ask while
 * it holds, answer the same failure without calling the upstream themselves.
 */
@RequiresRedis
class FleetFailedFetchTests {

	static final int INSTANCES = 4;

	static final MutableClock CLOCK = MutableClock.startingNow();

	static SimulatedWorkspace simulator;

	static LettuceConnectionFactory direct;

	static StringRedisTemplate redis;

	static BrokerInstances fleet;

	static List<ConfigurableApplicationContext> instances = new ArrayList<>();

	static final String PREFIX = "tb-test-" + UUID.randomUUID();

	@BeforeAll
	static void startFleet() {
		simulator = TestWorkspaces.launch(CLOCK);
		direct = TestRedis.connect();
		redis = new StringRedisTemplate(direct);
		fleet = new BrokerInstances(CLOCK);
		Map<String, String> properties = BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)), PREFIX,
				TestRedis.url().getHost(), TestRedis.url().getPort(), "k1", Map.of("k1", TestRedis.newEncryptionKey()));
		for (int i = 0; i < INSTANCES; i++) {
			instances.add(fleet.start(properties));
		}
	}

	@AfterAll
	static void stopFleet() throws Exception {
		Closeables.closeAll(fleet);
		TestRedis.deleteKeys(redis, PREFIX);
		Closeables.closeAll(direct, simulator);
	}

	@AfterEach
	void clearFaults() {
		for (Operation operation : Operation.values()) {
			simulator.faults("westeurope", operation).clear();
		}
	}

	private static long westeuropeCalls() {
		long calls = 0;
		for (Operation operation : Operation.values()) {
			calls += simulator.callCount("westeurope", operation);
		}
		return calls;
	}

	private static long tokenCalls() {
		return simulator.callCount("westeurope", Operation.MMS_TOKEN);
	}

	/** Every instance asks at once (released together by a latch), over HTTP. */
	private static List<Http.Response> getEverywhere(String service) {
		String caller = CallerTokens.app(simulator);
		CountDownLatch start = new CountDownLatch(1);
		List<CompletableFuture<Http.Response>> responses = instances.stream()
			.map((instance) -> CompletableFuture.supplyAsync(() -> {
				try {
					start.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return new Http(BrokerInstances.port(instance)).get("/tokens/" + service, caller);
			}))
			.toList();
		start.countDown();
		return responses.stream().map(CompletableFuture::join).toList();
	}

	@Test
	void aThrottledRegionIsAskedOnceByTheWholeFleetAndEveryInstanceAnswersItsRetryAfter() {
		simulator.faults("westeurope", Operation.MMS_TOKEN).set(Fault.throttled(Duration.ofSeconds(60)));
		long before = westeuropeCalls();
		long tokensBefore = tokenCalls();

		List<Http.Response> responses = getEverywhere("spare-1");

		assertThat(tokenCalls() - tokensBefore).as(INSTANCES + " cold instances, throttled upstream: token calls")
			.isEqualTo(1);
		assertThat(westeuropeCalls() - before).as("all calls: one fetch's metadata read and token call")
			.isLessThanOrEqualTo(2);
		assertThat(responses).allSatisfy((response) -> {
			assertThat(response.status()).as(response::body).isEqualTo(503);
			assertThat(response.header("Content-Type")).startsWith("application/problem+json");
			assertThat(Long.parseLong(response.header("Retry-After"))).as("the upstream's Retry-After, shared")
				.isBetween(50L, 60L);
		});
		Set<String> failed = redis.keys(PREFIX + ":failed:*");
		assertThat(failed).hasSize(1);
		assertThat(redis.opsForValue().get(failed.iterator().next())).as("sealed")
			.startsWith("tb1.k1.")
			.doesNotContain("throttled");
	}

	@Test
	void aFailingUpstreamIsAskedOnceByTheWholeFleetWhileTheFailureHolds() {
		simulator.faults("westeurope", Operation.MMS_TOKEN).set(Fault.error(503));
		long before = westeuropeCalls();
		long tokensBefore = tokenCalls();

		List<Http.Response> first = getEverywhere("spare-5");
		List<Http.Response> again = getEverywhere("spare-5");

		assertThat(tokenCalls() - tokensBefore)
			.as(INSTANCES + " cold instances asking twice, failing upstream: token calls")
			.isEqualTo(1);
		assertThat(westeuropeCalls() - before).as("all calls: one fetch's metadata read and token call")
			.isLessThanOrEqualTo(2);
		assertThat(first).allSatisfy((response) -> assertThat(response.status()).as(response::body).isEqualTo(503));
		assertThat(again).allSatisfy((response) -> assertThat(response.status()).as(response::body).isEqualTo(503));
	}

}
