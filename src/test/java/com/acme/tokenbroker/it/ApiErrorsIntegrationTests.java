package com.acme.tokenbroker.it;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.ForgedTokens;
import com.acme.tokenbroker.support.Http;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every error the API can give is a problem+json with the right status, and none of 400,
 * 401, 403 or 404 reaches an upstream. Forged caller tokens get 401, never 500.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.refresh-check-interval=0" })
@ActiveProfiles("simulator")
class ApiErrorsIntegrationTests {

	private static final String AUDIENCE = "api://token-broker";

	@LocalServerPort
	int port;

	@Autowired
	SimulatedWorkspace simulator;

	Http api;

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
	}

	private String caller(String subject) {
		return this.simulator.mintCallerToken(subject, AUDIENCE, Map.of("azp", subject),
				java.time.Duration.ofMinutes(10));
	}

	private long upstreamCalls() {
		long calls = 0;
		for (String region : this.simulator.regions()) {
			calls += this.simulator.callCount(region, Operation.MMS_TOKEN)
					+ this.simulator.callCount(region, Operation.ARM_TOKEN);
		}
		return calls;
	}

	private static void assertEachDenied(String type, Http.Response... responses) {
		for (Http.Response response : responses) {
			assertProblem(response, 403, type);
		}
	}

	/**
	 * Asserts that a request for a configured service and one for no-such-service are
	 * denied alike: both, and any further requests, with a 403 of {@code type}, and the
	 * two bodies differ only by the service's name.
	 */
	private static void assertDeniedAlike(String type, String configuredName, Http.Response configured,
			Http.Response unknown, Http.Response... others) {
		assertEachDenied(type, configured, unknown);
		assertEachDenied(type, others);
		assertThat(unknown.body().replace("no-such-service", configuredName)).isEqualTo(configured.body());
	}

	private static void assertProblem(Http.Response response, int status, String type) {
		assertThat(response.status()).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("status").intValue()).isEqualTo(status);
		assertThat(response.json().get("type").stringValue()).isEqualTo(type);
		assertThat(response.json().get("title").stringValue()).isNotBlank();
		assertThat(response.body()).doesNotContain("Exception").doesNotContain("at com.");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/tokens/bad%20name", "/tokens/-leading",
			"/tokens/" + "x" + "a1234567890123456789012345678901234567890123456789012345678901234",
			"/tokens/%C3%A9t%C3%A9", "/tokens/a$b" })
	void invalidServiceNamesGet400WithoutUpstreamCall(String path) {
		long before = upstreamCalls();

		Http.Response response = this.api.get(path, caller("demo-app"));

		assertProblem(response, 400, "urn:token-broker:problem:invalid-service-name");
		assertThat(upstreamCalls()).isEqualTo(before);
	}

	@Test
	void plainTextCallersStillGetProblemJsonErrors() {
		Http.Response response = this.api.get("/tokens/nope", caller("demo-app"), "text/plain");

		assertProblem(response, 404, "urn:token-broker:problem:unknown-service");
	}

	@Test
	void unknownServiceGets404WithoutUpstreamCall() {
		long before = upstreamCalls();

		Http.Response response = this.api.get("/tokens/no-such-service", caller("demo-app"));

		assertProblem(response, 404, "urn:token-broker:problem:unknown-service");
		assertThat(upstreamCalls()).isEqualTo(before);
	}

	@Test
	void callerWithoutAGrantGets403() {
		Http.Response response = this.api.get("/tokens/recommender", caller("fraud-app"));

		assertProblem(response, 403, "urn:token-broker:problem:service-access-denied");
	}

	@Test
	void callerWithNoMatchingRuleAtAllGets403() {
		Http.Response response = this.api.get("/tokens/fraud-scoring", caller("stranger"));

		assertProblem(response, 403, "urn:token-broker:problem:service-access-denied");
	}

	@Test
	void missingBearerGets401WithChallenge() {
		Http.Response response = this.api.get("/tokens/fraud-scoring", null);

		assertProblem(response, 401, "urn:token-broker:problem:unauthenticated");
		assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
	}

	@ParameterizedTest
	@ValueSource(strings = { "PT5X", "-5", "P99999D", "12abc", "PT-5M" })
	void malformedMinTtlGets400(String minTtl) {
		Http.Response response = this.api.get("/tokens/fraud-scoring?minTtl=" + minTtl, caller("demo-app"));

		assertProblem(response, 400, "urn:token-broker:problem:invalid-request");
	}

	@Test
	void satisfiableMinTtlIsServed() {
		assertThat(this.api.get("/tokens/fraud-scoring?minTtl=PT10M", caller("demo-app")).status()).isEqualTo(200);
		assertThat(this.api.get("/tokens/fraud-scoring?minTtl=600", caller("demo-app")).status()).isEqualTo(200);
	}

	@Test
	void otherPathsAreNotServed() {
		assertThat(this.api.get("/", caller("demo-app")).status()).isEqualTo(403);
		assertThat(this.api.get("/admin", null).status()).isEqualTo(401);
	}

	static Stream<Arguments> forgedTokens() {
		return Stream.of(Arguments.of("alg none"), Arguments.of("HS256 signed with the public key"),
				Arguments.of("expired"), Arguments.of("wrong issuer"), Arguments.of("wrong audience"),
				Arguments.of("unknown kid"), Arguments.of("garbage"), Arguments.of("three garbage segments"),
				Arguments.of("cluster issuer with Entra audience"), Arguments.of("empty"));
	}

	private String forged(String kind) throws Exception {
		return switch (kind) {
			case "alg none" -> ForgedTokens.algNone(this.simulator, AUDIENCE, "demo-app");
			case "HS256 signed with the public key" ->
				ForgedTokens.hmacWithPublicKey(this.simulator, AUDIENCE, "demo-app");
			case "expired" ->
				this.simulator.mintCallerToken("demo-app", AUDIENCE, Map.of(), java.time.Duration.ofMinutes(-10));
			case "wrong issuer" -> ForgedTokens.wrongIssuer(AUDIENCE, "demo-app");
			case "wrong audience" -> this.simulator.mintCallerToken("demo-app", "api://someone-else", Map.of(),
					java.time.Duration.ofMinutes(10));
			case "unknown kid" -> ForgedTokens.unknownKid(this.simulator, AUDIENCE, "demo-app");
			case "garbage" -> "not-a-jwt";
			case "three garbage segments" -> "eyJhbGciOiJSUzI1NiJ9.Z2FyYmFnZQ.c2ln";
			case "cluster issuer with Entra audience" ->
				this.simulator.mintServiceAccountToken("ns", "demo-app", AUDIENCE, java.time.Duration.ofMinutes(10));
			case "empty" -> "";
			default -> throw new IllegalArgumentException(kind);
		};
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("forgedTokens")
	void forgedCallerTokensGet401NeverA500(String kind) throws Exception {
		String token = forged(kind);

		Http.Response response = this.api.get("/tokens/fraud-scoring", token);

		assertThat(response.status()).isEqualTo(401);
		assertThat(response.header("WWW-Authenticate")).startsWith("Bearer error=");
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		if (!token.isEmpty()) {
			assertThat(response.header("WWW-Authenticate")).doesNotContain(token);
			assertThat(response.body()).doesNotContain(token);
		}
	}

	/**
	 * Issue 11, item 9: the challenge must not tell an untrusted issuer from a bad
	 * signature, audience or expiry.
	 */
	@Test
	void everyRefusedTokenGetsTheSameChallengeAndBody() throws Exception {
		Set<String> challenges = new LinkedHashSet<>();
		Set<String> bodies = new LinkedHashSet<>();
		for (String kind : List.of("alg none", "HS256 signed with the public key", "expired", "wrong issuer",
				"wrong audience", "unknown kid", "garbage", "three garbage segments",
				"cluster issuer with Entra audience")) {
			Http.Response response = this.api.get("/tokens/fraud-scoring", forged(kind));
			assertThat(response.status()).as(kind).isEqualTo(401);
			challenges.add(response.header("WWW-Authenticate"));
			bodies.add(response.body());
		}

		assertThat(challenges).containsExactly(
				"Bearer error=\"invalid_token\", error_description=\"The bearer token is not valid for this broker\"");
		assertThat(bodies).hasSize(1);
	}

	/**
	 * Issue 11, item 9: a caller learns nothing of the services it is not granted, not
	 * even whether they exist.
	 */
	@Test
	void aCallerNotGrantedGetsTheSame403ForUnknownAndConfiguredServices() {
		String fraudApp = caller("fraud-app");

		assertDeniedAlike("urn:token-broker:problem:service-access-denied", "recommender",
				this.api.get("/tokens/recommender", fraudApp), this.api.get("/tokens/no-such-service", fraudApp),
				this.api.get("/tokens/no-such-service/status", fraudApp),
				this.api.get("/tokens/recommender/status", fraudApp));
		assertThat(this.api.get("/tokens", fraudApp).body()).contains("fraud-scoring").doesNotContain("recommender");
	}

	@Test
	void aCallerWithoutAdminRuleGetsTheSame403ForUnknownAndConfiguredServices() {
		String demoApp = caller("demo-app");

		assertDeniedAlike("urn:token-broker:problem:admin-access-denied", "fraud-scoring",
				this.api.get("/admin/services/fraud-scoring/keys/rotation", demoApp),
				this.api.get("/admin/services/no-such-service/keys/rotation", demoApp),
				this.api.postWithBearer("/admin/services/no-such-service/keys/rotate", demoApp));
	}

	@Test
	void projectedServiceAccountTokensFromTheClusterIssuerAreAccepted() {
		String token = this.simulator.mintServiceAccountToken("payments", "scorer", "token-broker",
				java.time.Duration.ofMinutes(10));

		Http.Response response = this.api.get("/tokens/fraud-scoring", token);

		assertThat(response.status()).as("authenticated, but no rule grants this service account").isEqualTo(403);
	}

}
