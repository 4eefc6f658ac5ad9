package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Refreshes;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.TokenCache;
import com.nimbusds.jwt.JWTParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 5: an {@code aad_token} service keeps the promises of the other
 * credential types with a realistic Entra ID token lifetime (75 minutes): the data-plane
 * token is acquired anew at half-life, so a required service never takes readiness down,
 * and a valid token is served stale through an Entra ID outage.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true)
class CredentialModesEntraLifetimeIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Duration ENTRA_LIFETIME = Duration.ofMinutes(75);

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.required("aad-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.AAD_TOKEN)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(ENTRA_LIFETIME));

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
	}

	@LocalManagementPort
	int managementPort;

	@Autowired
	TokenCache cache;

	@Autowired
	Http api;

	Http management;

	@BeforeEach
	void setUp() {
		this.management = new Http(this.managementPort);
		Http.Response first = get();
		assertThat(first.status()).as(first.body()).isEqualTo(200);
	}

	private Http.Response get() {
		String caller = CallerTokens.app(SIMULATOR);
		return this.api.get("/tokens/aad-v2", caller);
	}

	private int readiness() {
		return this.management.get("/actuator/health/readiness", null).status();
	}

	private void runDueRefreshes() {
		Refreshes.runDue(this.cache);
	}

	private static Instant jwtExpiry(JsonNode credential) throws Exception {
		return JWTParser.parse(credential.get("accessToken").stringValue())
			.getJWTClaimsSet()
			.getExpirationTime()
			.toInstant();
	}

	@Test
	void readinessWhenEntraIsUpForSixHoursThenNeverDrops() throws Exception {
		long signInsBefore = SIMULATOR.entraCallCount(Operation.ENTRA_TOKEN);
		Instant end = CLOCK.instant().plus(Duration.ofHours(6));

		while (CLOCK.instant().isBefore(end)) {
			CLOCK.advance(Duration.ofMinutes(1));
			runDueRefreshes();
			assertThat(readiness()).as("readiness at " + CLOCK.instant()).isEqualTo(200);
			Http.Response response = get();
			assertThat(response.status()).as(response.body()).isEqualTo(200);
			assertThat(response.json().get("stale").booleanValue()).as("stale at " + CLOCK.instant()).isFalse();
			assertThat(jwtExpiry(response.json())).isAfter(CLOCK.instant().plus(Duration.ofMinutes(10)));
		}

		long signIns = SIMULATOR.entraCallCount(Operation.ENTRA_TOKEN) - signInsBefore;
		assertThat(signIns).as("data-plane refreshes at half-life plus the broker's own sign-ins, over 6 h")
			.isBetween(8L, 40L);
	}

	@Test
	void tokenWhenEntraIsDownForTwentyMinutesAfterTheRefreshTimeThenServedStaleAndRefreshedAfter() throws Exception {
		Http.Response before = get();
		Instant refreshBy = Instant.parse(before.json().get("refreshBy").stringValue());
		assertThat(Duration.between(CLOCK.instant(), refreshBy)).as("refreshed at half-life, not at expiry")
			.isLessThanOrEqualTo(ENTRA_LIFETIME.dividedBy(2));
		CLOCK.set(refreshBy);
		// the token endpoint fails; the listener stays up, so callers' tokens still
		// verify against its keys
		SIMULATOR.entraFaults().set(Fault.error(503));
		Instant outageEnds = CLOCK.instant().plus(Duration.ofMinutes(20));

		boolean servedStale = false;
		while (CLOCK.instant().isBefore(outageEnds)) {
			CLOCK.advance(Duration.ofMinutes(1));
			runDueRefreshes();
			Http.Response during = get();
			assertThat(during.status()).as("during the outage at " + CLOCK.instant() + ": " + during.body())
				.isEqualTo(200);
			assertThat(jwtExpiry(during.json())).isAfter(CLOCK.instant());
			servedStale |= during.json().get("stale").booleanValue();
		}
		SIMULATOR.entraFaults().clear();
		CLOCK.advance(Duration.ofMinutes(6));
		runDueRefreshes();
		Http.Response after = get();

		assertThat(servedStale).as("the old token was served stale during the outage").isTrue();
		assertThat(after.status()).isEqualTo(200);
		assertThat(after.json().get("stale").booleanValue()).isFalse();
		assertThat(after.json().get("accessToken").stringValue())
			.isNotEqualTo(before.json().get("accessToken").stringValue());
	}

}
