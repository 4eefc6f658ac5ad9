package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.AuthMode;
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
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 2, in fleet mode: a report of a refused credential on one instance
 * fetches the replacement through the fleet's lock and shares it, and the fleet's shared
 * entry never answers it with the rejected credential, even when that entry is newer than
 * what the reporting instance holds (a peer re-read the key before it was regenerated). A
 * report on another instance then takes the shared replacement without an upstream call.
 * A credential the upstream keeps issuing is re-read once per fleet and
 * {@code min-refresh-interval}, whichever instances get the reports.
 */
@RequiresRedis
class FleetCredentialRejectionTests {

	static final String SERVICE = "spare-5";

	static final String REGION = "westeurope";

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Duration PAST_MIN_REFRESH_INTERVAL = Duration.ofSeconds(31);

	static final String PREFIX = "tb-test-" + UUID.randomUUID();

	static SimulatedWorkspace simulator;

	static LettuceConnectionFactory direct;

	static StringRedisTemplate redis;

	static BrokerInstances fleet;

	static final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@BeforeAll
	static void startFleet() {
		simulator = TestWorkspaces.launch(CLOCK);
		simulator.setAuthMode("ws-weu", SERVICE, AuthMode.KEY);
		direct = TestRedis.connect();
		redis = new StringRedisTemplate(direct);
		fleet = new BrokerInstances(CLOCK);
		Map<String, String> properties = BrokerInstances.withFleet(
				BrokerInstances.properties((registry) -> TestWorkspaces.register(registry, simulator)), PREFIX,
				TestRedis.url().getHost(), TestRedis.url().getPort(), "k1", Map.of("k1", TestRedis.newEncryptionKey()));
		for (int i = 0; i < 2; i++) {
			instances.add(fleet.start(properties,
					(app) -> app.registerBean("fastSleeper", Sleeper.class, () -> (duration) -> Thread.sleep(5))));
		}
	}

	@AfterAll
	static void stopFleet() throws Exception {
		Closeables.closeAll(fleet);
		TestRedis.deleteKeys(redis, PREFIX);
		Closeables.closeAll(direct, simulator);
	}

	@Test
	void aRejectionOnOneInstanceIsFetchedOnceAndTheSharedEntryNeverAnswersTheRejectedKey() {
		String oldKey = key(get(0));
		assertThat(key(get(1))).as("the second instance takes the shared key").isEqualTo(oldKey);
		// the first instance re-reads the key before it is regenerated: the shared entry
		// is then newer than what the second instance holds, with the same value
		CLOCK.advance(Duration.ofMinutes(6));
		instances.get(0).getBean(TokenCache.class).runDueRefreshes().values().forEach((fetch) -> fetch.join());
		regenerateOutsideTheBroker();
		// a shared key read within min-refresh-interval is the upstream's latest answer
		// to a report of it; past the interval the report re-reads it
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		long reads = simulator.callCount(REGION, Operation.MMS_LIST_KEYS);

		Http.Response replaced = reject(1, oldKey);

		assertThat(replaced.status()).as(replaced::body).isEqualTo(200);
		String newKey = key(replaced);
		assertThat(newKey).isNotEqualTo(oldKey).isEqualTo(simulator.keys("ws-weu", SERVICE).primaryKey());
		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);

		// the first instance serves its cached key until its next refresh or a report;
		// a report takes the fleet's replacement from Redis, without an upstream call
		CLOCK.advance(Duration.ofSeconds(31));
		Http.Response followed = reject(0, oldKey);
		assertThat(followed.status()).as(followed::body).isEqualTo(200);
		assertThat(key(followed)).isEqualTo(newKey);
		assertThat(key(get(0))).isEqualTo(newKey);
		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);
	}

	@Test
	void aCredentialTheUpstreamStillIssuesIsReReadOncePerFleetWithinTheInterval() {
		String served = key(get(0));
		assertThat(key(get(1))).as("the second instance takes the shared key").isEqualTo(served);
		// past min-refresh-interval for every instance: each one's own schedule lets its
		// report fetch
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		long reads = simulator.callCount(REGION, Operation.MMS_LIST_KEYS);
		double heldForTheFleet = lookups(1, "rejected_recently");

		for (int instance = 0; instance < instances.size(); instance++) {
			Http.Response refused = reject(instance, served);

			assertThat(refused.status()).as(refused::body).isEqualTo(503);
			assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
			assertThat(refused.json().get("type").stringValue())
				.isEqualTo("urn:token-broker:problem:credential-rejected");
			assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
			assertThat(refused.body()).doesNotContain(served);
		}

		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).as("one re-read for the fleet")
			.isEqualTo(1);
		assertThat(lookups(1, "rejected_recently") - heldForTheFleet).isEqualTo(1);
		assertThat(key(get(1))).isEqualTo(served);
	}

	@Test
	void aCredentialThePeerReReadIsHeldOnlyUntilTheFleetMayReadItAgain() {
		String served = key(get(0));
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		long reads = simulator.callCount(REGION, Operation.MMS_LIST_KEYS);
		Http.Response first = reject(0, served);
		assertThat(first.status()).as(first::body).isEqualTo(503);
		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);

		// ten seconds later another instance gets the same report: the peer's re-read
		// answers it, and the fleet reads the key again 30 s after that re-read, not
		// after
		// this report
		CLOCK.advance(Duration.ofSeconds(10));
		Http.Response held = reject(1, served);
		assertThat(held.status()).as(held::body).isEqualTo(503);
		assertThat(held.json().get("type").stringValue()).isEqualTo("urn:token-broker:problem:credential-rejected");
		assertThat(Long.parseLong(held.header("Retry-After"))).isEqualTo(20);
		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);

		// a caller that comes back when told to gets a fresh read
		CLOCK.advance(Duration.ofSeconds(20));
		Http.Response again = reject(1, served);
		assertThat(again.status()).as(again::body).isEqualTo(503);
		assertThat(simulator.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).as("re-read when Retry-After said")
			.isEqualTo(2);
		assertThat(Long.parseLong(again.header("Retry-After"))).isEqualTo(30);
	}

	private static double lookups(int instance, String outcome) {
		Counter counter = instances.get(instance)
			.getBean(MeterRegistry.class)
			.find("broker.fleet.lookups")
			.tag("outcome", outcome)
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	private static void regenerateOutsideTheBroker() {
		ConfigurableApplicationContext context = instances.get(0);
		context.getBean(ServiceKeysClient.class)
			.regenerateKey(context.getBean(ServiceCatalog.class).find(ServiceName.of(SERVICE)).orElseThrow(),
					KeySlot.PRIMARY);
	}

	private static Http api(int instance) {
		return new Http(BrokerInstances.port(instances.get(instance)));
	}

	private static Http.Response get(int instance) {
		Http.Response response = api(instance).get("/tokens/" + SERVICE, caller());
		assertThat(response.status()).as(response::body).isEqualTo(200);
		return response;
	}

	private static Http.Response reject(int instance, String key) {
		return api(instance).postJson("/tokens/" + SERVICE + "/rejections", caller(),
				CredentialRejectionIntegrationTests.fingerprint(key));
	}

	private static String key(Http.Response response) {
		return response.json().get("accessToken").stringValue();
	}

	private static String caller() {
		return CallerTokens.mint(simulator, "app", Duration.ofHours(1));
	}

}
