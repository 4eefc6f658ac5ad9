package com.acme.tokenbroker.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Refreshes;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import com.nimbusds.jwt.JWTParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker against a simulated workspace in virtual time: the broker and the simulator
 * read one {@link MutableClock}, the refresh scheduler is driven by the test, and faults
 * are switched per region.
 */
@SimulatedWorkspaceTest(resetFaults = true)
class RefreshAndFaultsIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	@LocalServerPort
	int port;

	@Autowired
	TokenCache cache;

	@Autowired
	Http api;

	private static String caller() {
		return CallerTokens.app(SIMULATOR);
	}

	private Http.Response get(String service) {
		return this.api.get("/tokens/" + service, caller());
	}

	/** Token calls of a region. */
	private static long calls(String region) {
		return SIMULATOR.callCount(region, Operation.MMS_TOKEN) + SIMULATOR.callCount(region, Operation.ARM_TOKEN);
	}

	/** Every upstream call of a region, metadata reads included. */
	private static long allCalls(String region) {
		return calls(region) + SIMULATOR.callCount(region, Operation.MMS_GET_SERVICE)
				+ SIMULATOR.callCount(region, Operation.ARM_GET_ENDPOINT);
	}

	private void runDueRefreshes() {
		Refreshes.runDue(this.cache);
	}

	private static Instant jwtExpiry(String token) throws ParseException {
		return JWTParser.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
	}

	@Test
	void refreshAheadReplacesTheTokenOffTheRequestPathWithOneUpstreamCall() {
		String first = get("v1-weu").json().get("accessToken").stringValue();
		long before = calls("westeurope");
		Instant nextRefresh = this.cache.state(ServiceName.of("v1-weu")).nextAttemptAt();

		CLOCK.set(nextRefresh);
		SIMULATOR.faults("westeurope").set(Fault.slow(Duration.ofSeconds(2)));
		CompletableFuture<BrokeredToken> refresh = this.cache.runDueRefreshes().get(ServiceName.of("v1-weu"));
		Http.Response during = get("v1-weu");
		boolean refreshStillRunning = !refresh.isDone();
		refresh.join();
		Http.Response after = get("v1-weu");

		assertThat(during.json().get("accessToken").stringValue()).as("served from cache while refreshing")
			.isEqualTo(first);
		assertThat(refreshStillRunning).as("the caller was answered while the slow refresh ran").isTrue();
		assertThat(after.json().get("accessToken").stringValue()).isNotEqualTo(first);
		assertThat(calls("westeurope") - before).isEqualTo(1);
	}

	@Test
	void staleTokensAreServedUntilTheHardExpiryThen503AndRecoveryFollowsTheFix() throws Exception {
		Http.Response fresh = get("v2-weu");
		String token = fresh.json().get("accessToken").stringValue();
		Instant refreshBy = Instant.parse(fresh.json().get("refreshBy").stringValue());
		Instant expiresAt = Instant.parse(fresh.json().get("expiresAt").stringValue());
		SIMULATOR.faults("westeurope").set(Fault.error(503));

		CLOCK.set(refreshBy.plusSeconds(1));
		runDueRefreshes();
		Http.Response stale = get("v2-weu");
		assertThat(stale.status()).isEqualTo(200);
		assertThat(stale.json().get("stale").booleanValue()).isTrue();
		assertThat(stale.header("Token-Stale")).isEqualTo("true");
		assertThat(stale.json().get("accessToken").stringValue()).isEqualTo(token);

		for (Duration step = Duration.ofHours(1); CLOCK.instant().plus(step).isBefore(expiresAt);) {
			CLOCK.advance(step);
			runDueRefreshes();
			Http.Response response = get("v2-weu");
			if (response.status() == 200) {
				assertThat(jwtExpiry(response.json().get("accessToken").stringValue())).as("never an expired token")
					.isAfter(CLOCK.instant());
			}
		}
		CLOCK.set(expiresAt.minus(Duration.ofMinutes(5)));
		Http.Response expired = get("v2-weu");
		assertThat(expired.status()).isEqualTo(503);
		assertThat(expired.header("Content-Type")).startsWith("application/problem+json");
		assertThat(Long.parseLong(expired.header("Retry-After"))).isPositive();

		SIMULATOR.faults("westeurope").clear();
		CLOCK.set(this.cache.state(ServiceName.of("v2-weu")).nextAttemptAt());
		runDueRefreshes();
		Http.Response recovered = get("v2-weu");
		assertThat(recovered.status()).as(recovered.body()).isEqualTo(200);
		assertThat(recovered.json().get("stale").booleanValue()).isFalse();
	}

	static Stream<Arguments> faults() {
		return Stream.of(Arguments.of(Fault.down()), Arguments.of(Fault.hang()),
				Arguments.of(Fault.slow(Duration.ofSeconds(4))), Arguments.of(Fault.error(500)),
				Arguments.of(Fault.error(503)), Arguments.of(Fault.throttled(Duration.ofSeconds(120))),
				Arguments.of(Fault.malformed()), Arguments.of(Fault.missingFields()), Arguments.of(Fault.expired()),
				Arguments.of(Fault.oversized()));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("faults")
	void aColdServiceInAFaultyRegionGets503WithRetryAfterAndNothingIsCached(Fault fault) {
		// Past the previous case's backoff, which a cold caller obeys (issue 12, item 1):
		// each case asks the upstream.
		CLOCK.advance(Duration.ofMinutes(6));
		SIMULATOR.faults("eastus").set(fault);

		long started = System.nanoTime();
		Http.Response response = get("spare-2");
		Duration answeredWithin = Duration.ofNanos(System.nanoTime() - started);

		assertThat(response.status()).isEqualTo(503);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("type").stringValue())
			.isEqualTo("urn:token-broker:problem:upstream-unavailable");
		assertThat(Long.parseLong(response.header("Retry-After"))).isPositive();
		if (fault.kind() == Fault.Kind.THROTTLED) {
			assertThat(Long.parseLong(response.header("Retry-After"))).isGreaterThanOrEqualTo(120);
		}
		assertThat(this.cache.current(ServiceName.of("spare-2"))).isNull();
		assertThat(answeredWithin).as("answered within the cold-miss deadline, never hanging")
			.isLessThan(Duration.ofSeconds(10));
		assertThat(get("v1-weu").status()).as("the other region is unaffected").isEqualTo(200);
	}

	@Test
	void aPrincipalWithoutTheRoleGetsAClear503AndTheServiceIsNotHammered() {
		SIMULATOR.revoke("token-broker-simulated", "ws-eus", "Reader");
		try {
			long before = allCalls("eastus");
			Http.Response response = get("spare-4");

			assertThat(response.status()).isEqualTo(503);
			assertThat(response.json().get("type").stringValue())
				.isEqualTo("urn:token-broker:problem:upstream-rejected-principal");
			assertThat(Long.parseLong(response.header("Retry-After"))).isGreaterThanOrEqualTo(60);
			assertThat(allCalls("eastus") - before).as("one refused call, no retry loop").isEqualTo(1);
		}
		finally {
			SIMULATOR.grant("token-broker-simulated", "ws-eus", "Reader");
		}
	}

	@Test
	void manyConcurrentColdRequestsMakeOneUpstreamCall() throws Exception {
		SIMULATOR.faults("westeurope").set(Fault.slow(Duration.ofMillis(400)));
		long before = calls("westeurope");
		String caller = caller();
		HttpClient client = HttpClient.newHttpClient();
		List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();

		for (int i = 0; i < 120; i++) {
			responses.add(client
				.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/tokens/spare-1"))
					.header("Authorization", "Bearer " + caller)
					.timeout(Duration.ofSeconds(20))
					.build(), HttpResponse.BodyHandlers.ofString()));
		}
		Set<String> bodies = new HashSet<>();
		for (CompletableFuture<HttpResponse<String>> response : responses) {
			HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
			assertThat(answer.statusCode()).isEqualTo(200);
			bodies.add(tools.jackson.databind.json.JsonMapper.shared()
				.readTree(answer.body())
				.get("accessToken")
				.stringValue());
		}

		assertThat(bodies).hasSize(1);
		assertThat(calls("westeurope") - before).isEqualTo(1);
	}

	@Test
	void anEntraOutageWithAValidBrokerTokenDoesNotStopRefreshes() {
		String before = get("v1-eus").json().get("accessToken").stringValue();
		SIMULATOR.entraFaults().set(Fault.down());
		long entraCalls = SIMULATOR.entraCallCount();

		Instant refreshAt = this.cache.state(ServiceName.of("v1-eus")).nextAttemptAt();
		CLOCK.set(refreshAt);
		runDueRefreshes();
		Http.Response after = get("v1-eus");

		assertThat(this.cache.state(ServiceName.of("v1-eus")).lastSuccessAt()).isEqualTo(refreshAt);
		assertThat(after.status()).as(after.body()).isEqualTo(200);
		assertThat(after.json().get("accessToken").stringValue()).isNotEqualTo(before);
		assertThat(after.json().get("stale").booleanValue()).isFalse();
		assertThat(SIMULATOR.entraCallCount()).as("the broker's own token was still valid: no sign-in")
			.isEqualTo(entraCalls);
	}

	@Test
	void callersAreStillVerifiedThroughAnEntraOutageLongerThanTheKeySetCache() {
		assertThat(get("v1-weu").status()).isEqualTo(200);
		SIMULATOR.entraFaults().set(Fault.down());
		try {
			CLOCK.advance(Duration.ofMinutes(20));

			Http.Response response = get("v1-weu");

			assertThat(response.status()).as(response.body()).isEqualTo(200);
		}
		finally {
			SIMULATOR.entraFaults().clear();
		}
	}

}
