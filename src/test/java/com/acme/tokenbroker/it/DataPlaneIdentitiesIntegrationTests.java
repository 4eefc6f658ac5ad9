package com.acme.tokenbroker.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11, item 2: an {@code aad_token} service hands its callers the Entra token of its
 * own identity ({@code broker.services.<name>.identity}), so a caller granted one service
 * does not receive the token another service's callers get; each identity also makes its
 * services' upstream calls.
 */
@SimulatedWorkspaceTest(testCatalog = false)
class DataPlaneIdentitiesIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final String SECOND_CLIENT = "token-broker-scoring-b";

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("aad-a", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.AAD_TOKEN)
		.add("aad-b", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.AAD_TOKEN)
		.add("tok-a", "weu", ServiceKind.WEBSERVICE)
		.add("tok-b", "weu", ServiceKind.WEBSERVICE)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder()
				.entraTokenLifetime(Duration.ofDays(30))
				.clientSecretPrincipal(SECOND_CLIENT)
				.grant(SECOND_CLIENT, "ws-weu", "Reader"));

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		// Two callers, each granted one service: without an identity per service this
		// configuration cannot boot.
		registry.add("broker.access.rules[0].name", () -> "app-a");
		registry.add("broker.access.rules[0].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[0].subjects[0]", () -> "app-a");
		registry.add("broker.access.rules[0].services[0]", () -> "aad-a");
		registry.add("broker.access.rules[0].services[1]", () -> "tok-a");
		registry.add("broker.access.rules[1].name", () -> "app-b");
		registry.add("broker.access.rules[1].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[1].subjects[0]", () -> "app-b");
		registry.add("broker.access.rules[1].services[0]", () -> "aad-b");
		registry.add("broker.access.rules[1].services[1]", () -> "tok-b");
		registry.add("broker.identities.scoring-b.mode", () -> "client-secret");
		registry.add("broker.identities.scoring-b.client-id", () -> SECOND_CLIENT);
		registry.add("broker.identities.scoring-b.client-secret", () -> SIMULATOR.generatedClientSecret(SECOND_CLIENT));
		// tenant-id and authority-host come from broker.identity
		registry.add("broker.identities.scoring-b.disable-instance-discovery", () -> "true");
		registry.add("broker.services.aad-b.identity", () -> "scoring-b");
		registry.add("broker.services.tok-b.identity", () -> "scoring-b");
	}

	@Autowired
	Http api;

	final HttpClient scoringClient = HttpClient.newBuilder().sslContext(SIMULATOR.clientSslContext()).build();

	private static String caller(String subject) {
		return CallerTokens.mint(SIMULATOR, subject, Duration.ofHours(1));
	}

	private JsonNode credential(String subject, String service) {
		Http.Response response = this.api.get("/tokens/" + service, caller(subject));
		assertThat(response.status()).as("credential for " + service + ": " + response.body()).isEqualTo(200);
		return response.json();
	}

	private static JsonNode claims(String jwt) {
		String payload = jwt.split("\\.")[1];
		return JsonMapper.shared().readTree(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
	}

	private int score(JsonNode credential) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(credential.get("scoringUri").stringValue()))
			.header("Authorization", "Bearer " + credential.get("accessToken").stringValue())
			.POST(HttpRequest.BodyPublishers.ofString("{\"data\":[1]}"))
			.build();
		return this.scoringClient.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	@Test
	void eachEntraTokenServiceHandsOutTheTokenOfItsOwnIdentity() throws Exception {
		JsonNode a = credential("app-a", "aad-a");
		JsonNode b = credential("app-b", "aad-b");

		assertThat(a.get("credentialType").stringValue()).isEqualTo("aad_token");
		assertThat(b.get("credentialType").stringValue()).isEqualTo("aad_token");
		assertThat(claims(a.get("accessToken").stringValue()).get("appid").stringValue())
			.isEqualTo(SimulatorLauncher.CLIENT_ID);
		assertThat(claims(b.get("accessToken").stringValue()).get("appid").stringValue()).isEqualTo(SECOND_CLIENT);
		assertThat(a.get("accessToken").stringValue()).isNotEqualTo(b.get("accessToken").stringValue());
		assertThat(score(a)).isEqualTo(200);
		assertThat(score(b)).isEqualTo(200);
	}

	@Test
	void aCallerGetsOnlyTheServiceItIsGranted() {
		assertThat(this.api.get("/tokens/aad-b", caller("app-a")).status()).isEqualTo(403);
		assertThat(this.api.get("/tokens/aad-a", caller("app-b")).status()).isEqualTo(403);
	}

	@Test
	void eachIdentityMakesTheUpstreamCallsOfItsOwnServices() {
		SIMULATOR.revoke(SECOND_CLIENT, "ws-weu", "Reader");
		try {
			// tok-b's token call is made as scoring-b, which may no longer read the
			// workspace; tok-a's as the default.
			Http.Response refused = this.api.get("/tokens/tok-b", caller("app-b"));
			Http.Response served = this.api.get("/tokens/tok-a", caller("app-a"));

			assertThat(refused.status()).as(refused.body()).isEqualTo(503);
			assertThat(refused.json().get("type").stringValue()).endsWith("upstream-rejected-principal");
			assertThat(served.status()).as(served.body()).isEqualTo(200);
		}
		finally {
			SIMULATOR.grant(SECOND_CLIENT, "ws-weu", "Reader");
		}
	}

}
