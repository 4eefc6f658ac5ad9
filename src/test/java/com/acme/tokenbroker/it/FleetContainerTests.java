package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceHarness;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import com.redis.testcontainers.RedisContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fleet mode against Redis in a container, where Docker exists; skipped cleanly without
 * it. The same behaviour is proved without Docker by {@link FleetIntegrationTests}
 * against Debian's redis-server.
 */
@Testcontainers(disabledWithoutDocker = true)
@ExtendWith(SimulatedWorkspaceHarness.class)
class FleetContainerTests {

	@Container
	static final RedisContainer redis = new RedisContainer(DockerImageName.parse("redis:7.4-alpine"));

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace simulator = TestWorkspaces.launch(CLOCK);

	@Test
	void threeInstancesOnOneRedisMakeOneUpstreamCallPerServiceAndRefresh() throws Exception {
		Map<String, String> properties = BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)), null,
				redis.getRedisHost(), redis.getRedisPort(), "k1", Map.of("k1", TestRedis.newEncryptionKey()));
		try (BrokerInstances fleet = new BrokerInstances(CLOCK)) {
			List<ConfigurableApplicationContext> instances = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				instances.add(fleet.start(properties));
			}
			long before = calls();
			Set<String> cold = tokens(instances);
			assertThat(cold).hasSize(1);
			assertThat(calls() - before).isEqualTo(1);

			String refreshBy = new Http(BrokerInstances.port(instances.get(0))).get("/tokens/v1-weu", caller())
				.json()
				.get("refreshBy")
				.stringValue();
			CLOCK.advance(Duration.between(CLOCK.instant(), Instant.parse(refreshBy)).plusSeconds(1));
			List<CompletableFuture<BrokeredToken>> refreshes = new ArrayList<>();
			for (ConfigurableApplicationContext instance : instances) {
				refreshes.addAll(instance.getBean(TokenCache.class).runDueRefreshes().values());
			}
			for (CompletableFuture<BrokeredToken> refresh : refreshes) {
				refresh.get(15, TimeUnit.SECONDS);
			}

			assertThat(calls() - before).isEqualTo(2);
			Set<String> refreshed = tokens(instances);
			assertThat(refreshed).hasSize(1).doesNotContainAnyElementsOf(cold);
		}
	}

	private static long calls() {
		return simulator.callCount("westeurope", Operation.MMS_TOKEN);
	}

	private static String caller() {
		return CallerTokens.app(simulator);
	}

	private static Set<String> tokens(List<ConfigurableApplicationContext> instances) {
		return instances.stream().map((instance) -> {
			Http.Response response = new Http(BrokerInstances.port(instance)).get("/tokens/v1-weu", caller());
			assertThat(response.status()).as(response::body).isEqualTo(200);
			return response.json().get("accessToken").stringValue();
		}).collect(Collectors.toSet());
	}

}
