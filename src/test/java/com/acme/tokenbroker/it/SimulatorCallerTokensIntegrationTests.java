package com.acme.tokenbroker.it;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import com.acme.tokenbroker.support.Http;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /simulator/caller-tokens} never mints what an admin rule grants (issue 11,
 * item 11): a role an admin rule names is refused unless the simulator's own
 * {@code broker.simulator.mintable-roles} lists it, and a subject or client id an admin
 * rule names is refused always.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = { "management.server.port=0",
		"broker.tokens.warm-up=false", "broker.access.admin-rules[0].issuer=${broker.access.issuers[0].issuer-uri}",
		"broker.access.admin-rules[0].roles[0]=TokenBroker.Admin",
		"broker.access.admin-rules[0].roles[1]=TokenBroker.DemoAdmin", "broker.access.admin-rules[0].services[0]=*",
		"broker.access.admin-rules[1].issuer=${broker.access.issuers[0].issuer-uri}",
		"broker.access.admin-rules[1].subjects[0]=ops-app", "broker.access.admin-rules[1].services[0]=fraud-scoring",
		"broker.access.admin-rules[2].issuer=${broker.access.issuers[0].issuer-uri}",
		"broker.access.admin-rules[2].client-ids[0]=ops-client",
		"broker.access.admin-rules[2].services[0]=fraud-scoring",
		"broker.simulator.mintable-roles[0]=TokenBroker.DemoAdmin" })
@ActiveProfiles("simulator")
class SimulatorCallerTokensIntegrationTests {

	@LocalServerPort
	int port;

	Http api;

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
	}

	private static void assertRefused(Http.Response response) {
		assertThat(response.status()).isEqualTo(403);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("type").stringValue()).isEqualTo("urn:token-broker:problem:forbidden");
		assertThat(response.json().get("detail").stringValue()).contains("broker.simulator.mintable-roles");
		assertThat(response.body()).doesNotContain("accessToken");
	}

	private static String claims(Http.Response response) {
		assertThat(response.status()).isEqualTo(200);
		String token = response.json().get("accessToken").stringValue();
		return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
	}

	@Test
	void aRoleAnAdminRuleGrantsIsNotMinted() {
		assertRefused(this.api.post("/simulator/caller-tokens?subject=demo-app&role=TokenBroker.Admin"));
		assertRefused(this.api.post("/simulator/caller-tokens?subject=demo-app&role=Reader&role=TokenBroker.Admin"));
	}

	@Test
	void aSubjectOrClientIdAnAdminRuleNamesIsNotMinted() {
		assertRefused(this.api.post("/simulator/caller-tokens?subject=ops-app"));
		assertRefused(this.api.post("/simulator/caller-tokens?subject=ops-client"));
	}

	@Test
	void anAdminRoleTheSimulatorListsAsMintableIsMinted() {
		String claims = claims(this.api.post("/simulator/caller-tokens?subject=demo-app&role=TokenBroker.DemoAdmin"));

		assertThat(claims).contains("TokenBroker.DemoAdmin");
	}

	@Test
	void rolesNoAdminRuleNamesAndPlainCallersAreStillMinted() {
		assertThat(claims(this.api.post("/simulator/caller-tokens?subject=demo-app&role=Payments.Reader")))
			.contains("Payments.Reader");
		assertThat(claims(this.api.post("/simulator/caller-tokens?subject=demo-app"))).contains("demo-app");
	}

}
