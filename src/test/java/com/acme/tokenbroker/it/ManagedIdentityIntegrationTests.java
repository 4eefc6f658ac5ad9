package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.acme.tokenbroker.principal.EntraPrincipalCredential;
import com.acme.tokenbroker.principal.Identities;
import com.acme.tokenbroker.principal.PrincipalCredential;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.ManagedIdentityEnvironment;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Managed identity mode ({@code broker.identity.mode: managed-identity}, issue 12,
 * "untested paths"): azure-identity's {@code ManagedIdentityCredential}, through MSAL4J's
 * App Service source ({@code IDENTITY_ENDPOINT} + {@code IDENTITY_HEADER}), signs in as a
 * user-assigned identity against the simulator's managed-identity endpoint on loopback,
 * fetches service tokens with it, and replaces it once virtual time passes the token's
 * refresh time.
 */
@SimulatedWorkspaceTest(properties = { "broker.identity.mode=managed-identity",
		"broker.identity.client-id=" + ManagedIdentityIntegrationTests.IDENTITY, "broker.identity.client-secret=" })
class ManagedIdentityIntegrationTests {

	static final String IDENTITY = "7c1e9b40-user-assigned-identity";

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = launch();

	private static SimulatedWorkspace launch() {
		SimulatedWorkspace simulator = SimulatorLauncher.launch(TestWorkspaces.workspaces(), TestWorkspaces.services(),
				TestWorkspaces.settings(),
				SimulatedWorkspace.builder()
					.entraTokenLifetime(Duration.ofDays(30))
					.managedIdentity(IDENTITY)
					.grant(IDENTITY, "ws-weu", "Reader")
					.grant(IDENTITY, "ws-eus", "Reader"));
		simulator.useClock(CLOCK);
		ManagedIdentityEnvironment.set(Map.of("IDENTITY_ENDPOINT", simulator.managedIdentityEndpoint().toString(),
				"IDENTITY_HEADER", simulator.managedIdentityHeader()));
		return simulator;
	}

	@AfterAll
	static void resetEnvironment() {
		ManagedIdentityEnvironment.reset();
	}

	@LocalServerPort
	int port;

	@Autowired
	Identities identities;

	private static long managedIdentityCalls() {
		return SIMULATOR.entraCallCount(Operation.MANAGED_IDENTITY_TOKEN);
	}

	private Http.Response get(String service) {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
		return new Http(this.port).get("/tokens/" + service, caller);
	}

	private void assertServedAndAccepted(String service, String workspace) {
		assertServedAndAccepted(service, workspace, service);
	}

	private void assertServedAndAccepted(String service, String workspace, String upstreamName) {
		Http.Response response = get(service);
		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(SIMULATOR.acceptsServiceToken(workspace, upstreamName,
				response.json().get("accessToken").stringValue()))
			.as("the token of %s is accepted by %s", service, upstreamName)
			.isTrue();
	}

	@Test
	void theBrokerSignsInWithItsManagedIdentityAndRefreshesItAfterItsRefreshTime() {
		assertServedAndAccepted("v1-weu", "ws-weu");
		assertServedAndAccepted("v2-weu", "ws-weu", "endpoint-weu");

		assertThat(managedIdentityCalls()).as("one sign-in at the managed-identity endpoint").isEqualTo(1);
		assertThat(SIMULATOR.entraCallCount()).as("no client-credentials sign-in").isZero();
		EntraPrincipalCredential principal = (EntraPrincipalCredential) this.identities.principal("default");
		PrincipalCredential.PrincipalToken first = principal.currentToken();
		assertThat(first.expiresAt()).as("managed-identity tokens live 24 h")
			.isCloseTo(CLOCK.instant().plus(Duration.ofHours(24)), within(Duration.ofMinutes(1)));
		assertThat(first.refreshAt()).isAfter(CLOCK.instant()).isBefore(first.expiresAt());

		// Not before its refresh time
		CLOCK.set(first.refreshAt().minusSeconds(1));
		this.identities.refreshIfDue();
		assertThat(managedIdentityCalls()).isEqualTo(1);
		assertThat(principal.currentToken().value()).isEqualTo(first.value());

		// At its refresh time: a new token from the endpoint (MSAL's wall-clock cache
		// would have let it go by now)
		CLOCK.set(first.refreshAt());
		ManagedIdentityEnvironment.expireCachedTokens();
		this.identities.refreshIfDue();
		assertThat(managedIdentityCalls()).isEqualTo(2);
		PrincipalCredential.PrincipalToken second = principal.currentToken();
		assertThat(second.value()).isNotEqualTo(first.value());
		assertThat(second.expiresAt()).isAfter(first.expiresAt());

		// After the first token expired, service tokens still come, signed for with the
		// refreshed one
		Instant afterFirstExpired = first.expiresAt().plus(Duration.ofMinutes(1));
		CLOCK.set(afterFirstExpired);
		assertServedAndAccepted("v1-eus", "ws-eus");
		assertServedAndAccepted("v1-weu", "ws-weu");
		assertThat(SIMULATOR.callCount("eastus", Operation.MMS_TOKEN)).isEqualTo(1);
	}

}
