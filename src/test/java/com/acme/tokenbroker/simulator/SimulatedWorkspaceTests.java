package com.acme.tokenbroker.simulator;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.GENERATED_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_REGION;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_WORKSPACE;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * MMS v1 and ARM v2 behaviour of the simulated workspace: authentication, roles, token
 * times by the injected clock, counting, recording and the issuance observer.
 */
class SimulatedWorkspaceTests extends AbstractStandardWorkspaceTests {

	SimulatedWorkspaceTests() {
		super(START);
	}

	@Test
	void mmsTokenWhenPrincipalIsReaderThenAnswers201WithEpochSecondsFromClock() throws Exception {
		JsonNode body = readerTokenAnswer(this.http.mmsToken(REGION, WORKSPACE, SERVICE), 201);
		assertThat(body.get("tokenType").stringValue()).isEqualTo("Bearer");
		assertThat(body.get("refreshAfter").isIntegralNumber()).isTrue();
		assertThat(body.get("refreshAfter").longValue()).isEqualTo(START.plus(Duration.ofMinutes(30)).getEpochSecond());
		assertThat(body.get("expiryOn").longValue())
			.isEqualTo(START.plus(Duration.ofHours(12).plusMinutes(30)).getEpochSecond());
		JWTClaimsSet claims = SignedJWT.parse(body.get("accessToken").stringValue()).getJWTClaimsSet();
		assertThat(claims.getExpirationTime().toInstant().getEpochSecond()).isEqualTo(body.get("expiryOn").longValue());
		assertThat(claims.getIssueTime().toInstant()).isEqualTo(START);
		assertThat(claims.getAudience()).containsExactly(SERVICE);
		assertThat(claims.getIssuer()).isEqualTo(this.sim.regionEndpoint(REGION).toString());
		assertThat(claims.getJWTID()).isNotBlank();
	}

	@Test
	void mmsTokenWhenClockMovesThenTimesFollowIt() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		long first = postForJson(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer).get("refreshAfter")
			.longValue();
		this.clock.advance(Duration.ofMinutes(20));

		long second = postForJson(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer).get("refreshAfter")
			.longValue();

		assertThat(second - first).isEqualTo(Duration.ofMinutes(20).toSeconds());
	}

	@Test
	void mmsTokenWhenApiVersionQueryIsSentThenItIsIgnored() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		URI uri = URI.create(this.http.mmsToken(REGION, WORKSPACE, SERVICE) + "?api-version=2018-11-19");

		assertThat(this.http.post(uri, bearer).statusCode()).isEqualTo(201);
	}

	@Test
	void mmsTokenWhenServiceTimesAreCustomThenUsesThem() throws Exception {
		try (SimulatedWorkspace custom = SimulatedWorkspace.builder()
			.clock(this.clock)
			.workspace("ws", "sub", "rg", "eastus")
			.webservice("ws", "svc", Duration.ofMinutes(5), Duration.ofMinutes(15))
			.clientSecretPrincipal("app", "pw")
			.grant("app", "ws", "Reader")
			.start()) {
			TestHttp customHttp = new TestHttp(custom);
			URI uri = URI.create(custom.regionEndpoint("eastus") + "/modelmanagement/v1.0/subscriptions/sub"
					+ "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/services/svc/token");

			JsonNode body = TestHttp.json(customHttp.post(uri, customHttp.entraToken("app", "pw")));

			assertThat(body.get("refreshAfter").longValue()).isEqualTo(START.plusSeconds(300).getEpochSecond());
			assertThat(body.get("expiryOn").longValue()).isEqualTo(START.plusSeconds(900).getEpochSecond());
		}
	}

	@Test
	void armTokenWhenAuthorizedThenAnswers200WithEpochSecondsFromClock() throws Exception {
		JsonNode body = readerTokenAnswer(this.http.armToken(REGION, WORKSPACE, ENDPOINT), 200);
		assertThat(body.get("tokenType").stringValue()).isEqualTo("Bearer");
		assertThat(body.get("refreshAfterTimeUtc").longValue())
			.isEqualTo(START.plus(Duration.ofMinutes(30)).getEpochSecond());
		assertThat(body.get("expiryTimeUtc").longValue())
			.isEqualTo(START.plus(Duration.ofHours(12).plusMinutes(30)).getEpochSecond());
		assertThat(SignedJWT.parse(body.get("accessToken").stringValue()).getJWTClaimsSet().getAudience())
			.containsExactly(ENDPOINT);
	}

	@Test
	void armTokenWhenApiVersionMissingThenAnswers400() throws Exception {
		JsonNode body = readerTokenAnswer(this.http.armTokenWithoutApiVersion(REGION, WORKSPACE, ENDPOINT), 400);
		assertThat(body.get("error").get("code").stringValue()).isEqualTo("MissingApiVersionParameter");
	}

	@Test
	void tokenCallsWhenBearerIsMissingThenAnswer401InEachShape() throws Exception {
		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), null);
		HttpResponse<String> arm = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), null);

		assertThat(mms.statusCode()).isEqualTo(401);
		assertThat(TestHttp.json(mms).get("statusCode").intValue()).isEqualTo(401);
		assertThat(mms.headers().firstValue("WWW-Authenticate"))
			.hasValueSatisfying((v) -> assertThat(v).startsWith("Bearer"));
		TestHttp.assertArmError(arm, 401, "InvalidAuthenticationToken");
	}

	@Test
	void mmsTokenWhenBearerIsTamperedThenAnswers401() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		String[] parts = bearer.split("\\.");
		String tampered = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), tampered).statusCode())
			.isEqualTo(401);
	}

	@Test
	void mmsTokenWhenEntraTokenExpiredByClockThenAnswers401() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		this.clock.advance(Duration.ofSeconds(3599));

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer).statusCode()).isEqualTo(401);
	}

	/**
	 * Another audience is refused; the core.windows.net form of the management audience
	 * is accepted.
	 */
	@ParameterizedTest
	@CsvSource({ "https://ml.azure.com/.default, 401", "https://management.core.windows.net//.default, 201" })
	void mmsTokenWhenEntraTokenHasScopeThenAnswersByAudience(String scope, int status) throws Exception {
		HttpResponse<String> entra = this.http.form(Map.of("grant_type", "client_credentials", "client_id",
				SECRET_CLIENT, "client_secret", SECRET, "scope", scope));
		String bearer = TestHttp.json(entra).get("access_token").stringValue();

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer).statusCode())
			.isEqualTo(status);
	}

	@Test
	void tokenCallsWhenPrincipalHasNoTokenRoleThenAnswer403InEachShape() throws Exception {
		String bearer = this.http.entraToken(NO_ROLE_CLIENT, NO_ROLE_SECRET);

		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);
		HttpResponse<String> arm = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), bearer);

		TestHttp.assertMmsError(mms, 403, "Forbidden");
		TestHttp.assertArmError(arm, 403, "AuthorizationFailed");
	}

	@Test
	void grantWhenRoleAddedAndRevokedAtRunTimeThenAccessFollows() throws Exception {
		String bearer = this.http.entraToken(NO_ROLE_CLIENT, NO_ROLE_SECRET);
		URI token = this.http.mmsToken(REGION, WORKSPACE, SERVICE);

		this.sim.grant(NO_ROLE_CLIENT, WORKSPACE, "Reader");
		int granted = this.http.post(token, bearer).statusCode();
		this.sim.revoke(NO_ROLE_CLIENT, WORKSPACE, "Reader");
		int revoked = this.http.post(token, bearer).statusCode();

		assertThat(granted).isEqualTo(201);
		assertThat(revoked).isEqualTo(403);
	}

	@Test
	void mmsTokenWhenServiceUnknownThenAnswers404ModelErrorResponse() throws Exception {
		JsonNode body = readerTokenAnswer(this.http.mmsToken(REGION, WORKSPACE, "nope"), 404);
		assertThat(body.get("code").stringValue()).isEqualTo("NotFound");
		assertThat(body.get("statusCode").intValue()).isEqualTo(404);
		assertThat(body.get("message").stringValue()).contains("nope");
		assertThat(body.get("details").isArray()).isTrue();
	}

	@Test
	void armGetEndpointWhenUnknownThenAnswers404ResourceNotFound() throws Exception {
		JsonNode body = readerGetAnswer(this.http.armEndpoint(REGION, WORKSPACE, "nope"), 404);
		assertThat(body.get("error").get("code").stringValue()).isEqualTo("ResourceNotFound");
	}

	@Test
	void tokenCallWhenWorkspaceIsInAnotherRegionThenAnswers404() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);

		HttpResponse<String> wrongRegion = this.http.post(this.http.mmsToken(REGION, OTHER_WORKSPACE, OTHER_SERVICE),
				bearer);
		HttpResponse<String> rightRegion = this.http
			.post(this.http.mmsToken(OTHER_REGION, OTHER_WORKSPACE, OTHER_SERVICE), bearer);

		assertThat(wrongRegion.statusCode()).isEqualTo(404);
		assertThat(rightRegion.statusCode()).isEqualTo(201);
	}

	@Test
	void mmsGetServiceWhenKnownThenDescribesAksServiceWithTokenAuth() throws Exception {
		JsonNode body = readerGetAnswer(this.http.mmsService(REGION, WORKSPACE, SERVICE), 200);
		assertThat(body.get("computeType").stringValue()).isEqualTo("AKS");
		assertThat(body.get("name").stringValue()).isEqualTo(SERVICE);
		assertThat(body.get("aadAuthEnabled").booleanValue()).isTrue();
		assertThat(body.get("authEnabled").booleanValue()).isFalse();
		assertThat(body.propertyNames()).contains("description", "kvTags", "properties", "createdTime", "state",
				"scoringUri", "numReplicas");
	}

	@Test
	void armGetEndpointWhenKnownThenHasAmlTokenAuthMode() throws Exception {
		JsonNode body = readerGetAnswer(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), 200);
		assertThat(body.get("properties").get("authMode").stringValue()).isEqualTo("AMLToken");
		assertThat(body.get("properties").get("scoringUri").stringValue()).startsWith("https://localhost:");
		assertThat(body.get("location").stringValue()).isEqualTo(REGION);
	}

	@Test
	void unknownPathOrMethodThenAnswers404Or405() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);

		HttpResponse<String> unknown = this.http.get(URI.create(this.sim.regionEndpoint(REGION) + "/nothing"), bearer);
		HttpResponse<String> wrongMethod = this.http.get(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);

		assertThat(unknown.statusCode()).isEqualTo(404);
		assertThat(wrongMethod.statusCode()).isEqualTo(405);
		assertThat(this.sim.callCount(REGION, Operation.UNKNOWN)).isEqualTo(2);
	}

	@Test
	void callCountWhenCallsMadeThenCountsPerRegionAndOperation() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);

		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);
		this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), bearer);
		this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), bearer);
		this.http.get(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), bearer);
		this.http.post(this.http.mmsToken(OTHER_REGION, OTHER_WORKSPACE, OTHER_SERVICE), bearer);

		assertThat(this.sim.entraCallCount()).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.MMS_TOKEN)).isEqualTo(2);
		assertThat(this.sim.callCount(REGION, Operation.MMS_GET_SERVICE)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.ARM_TOKEN)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.ARM_GET_ENDPOINT)).isEqualTo(1);
		assertThat(this.sim.callCount(OTHER_REGION, Operation.MMS_TOKEN)).isEqualTo(1);
		assertThat(this.sim.callCount(OTHER_REGION, Operation.ARM_TOKEN)).isZero();
	}

	@Test
	void exchangesWhenCallsMadeThenKeepHeaderNamesButNoAuthorizationValue() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);

		this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), bearer);

		List<RecordedExchange> exchanges = this.sim.exchanges();
		assertThat(exchanges).hasSize(2);
		RecordedExchange entra = exchanges.get(0);
		assertThat(entra.operation()).isEqualTo(Operation.ENTRA_TOKEN);
		assertThat(entra.requestContentType()).startsWith("application/x-www-form-urlencoded");
		assertThat(entra.requestBody()).contains("grant_type=client_credentials");
		RecordedExchange arm = exchanges.get(1);
		assertThat(arm.listener()).isEqualTo(REGION);
		assertThat(arm.method()).isEqualTo("POST");
		assertThat(arm.query()).isEqualTo("api-version=" + Fixtures.API_VERSION);
		assertThat(arm.requestHeaderNames()).contains("authorization");
		assertThat(arm.status()).isEqualTo(200);
		assertThat(arm.responseHeader("content-type")).startsWith("application/json");
		assertThat(arm.responseBody()).contains("expiryTimeUtc");
		assertThat(arm.toString()).doesNotContain(bearer).doesNotContain("accessToken");
		assertThat(exchanges.toString()).doesNotContain(SECRET);
	}

	@Test
	void observerWhenSecretsCreatedOrIssuedThenSeesEveryOne() throws Exception {
		String entraToken = this.http.entraToken(SECRET_CLIENT, SECRET);
		String mmsToken = accessToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE), entraToken);
		String armToken = accessToken(this.http.armToken(REGION, WORKSPACE, ENDPOINT), entraToken);
		String caller = this.sim.mintCallerToken("user", "api://broker", Map.of(), Duration.ofMinutes(5));
		String serviceAccount = this.sim.mintServiceAccountToken("ns", "sa", "api://AzureADTokenExchange",
				Duration.ofMinutes(5));

		assertThat(this.issued).contains(SECRET, NO_ROLE_SECRET, this.sim.generatedClientSecret(GENERATED_CLIENT),
				entraToken, mmsToken, armToken, caller, serviceAccount);
	}

	@Test
	void generatedClientSecretWhenUsedThenAuthenticates() throws Exception {
		String secret = this.sim.generatedClientSecret(GENERATED_CLIENT);

		String bearer = this.http.entraToken(GENERATED_CLIENT, secret);

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer).statusCode()).isEqualTo(201);
	}

	@Test
	void acceptsServiceTokenWhenFreshThenTrueAndWhenClockPassesExpiryThenFalse() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		JsonNode body = postForJson(this.http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);
		String token = body.get("accessToken").stringValue();
		Instant expiry = Instant.ofEpochSecond(body.get("expiryOn").longValue());

		boolean fresh = this.sim.acceptsServiceToken(WORKSPACE, SERVICE, token);
		this.clock.set(expiry.minusSeconds(1));
		boolean justBefore = this.sim.acceptsServiceToken(WORKSPACE, SERVICE, token);
		this.clock.set(expiry);
		boolean atExpiry = this.sim.acceptsServiceToken(WORKSPACE, SERVICE, token);

		assertThat(fresh).isTrue();
		assertThat(justBefore).isTrue();
		assertThat(atExpiry).isFalse();
	}

	@Test
	void acceptsServiceTokenWhenTamperedOrForAnotherServiceThenFalse() throws Exception {
		String bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
		String token = accessToken(this.http.armToken(REGION, WORKSPACE, ENDPOINT), bearer);
		String[] parts = token.split("\\.");
		String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1])).replace("\"" + ENDPOINT + "\"",
				"\"" + SERVICE + "\"");
		String tampered = parts[0] + "."
				+ java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes()) + "." + parts[2];

		assertThat(this.sim.acceptsServiceToken(WORKSPACE, ENDPOINT, token)).isTrue();
		assertThat(this.sim.acceptsServiceToken(WORKSPACE, SERVICE, tampered)).isFalse();
		assertThat(this.sim.acceptsServiceToken(WORKSPACE, SERVICE, token)).isFalse();
		assertThat(this.sim.acceptsServiceToken(OTHER_WORKSPACE, ENDPOINT, token)).isFalse();
		assertThat(this.sim.acceptsServiceToken(WORKSPACE, ENDPOINT, "not-a-jwt")).isFalse();
	}

	@Test
	void closeWhenCalledThenListenersRefuseConnections() throws Exception {
		SimulatedWorkspace other = SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.clientSecretPrincipal("app", "pw")
			.start();
		TestHttp otherHttp = new TestHttp(other);
		URI authority = other.authorityHost();
		URI region = other.regionEndpoint("eastus");
		assertThat(otherHttp.entraToken("app", "pw")).isNotBlank();

		other.close();

		TestHttp fresh = new TestHttp(other);
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> fresh.get(authority, null));
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> fresh.get(region, null));
	}

	@Test
	void builderWhenReferencesAreUnknownThenRejects() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> SimulatedWorkspace.builder().webservice("missing", "svc"));
		assertThatIllegalArgumentException().isThrownBy(() -> SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.grant("nobody", "ws", "Reader")
			.build());
		assertThatIllegalArgumentException().isThrownBy(() -> SimulatedWorkspace.builder().tenantId("bad tenant!"));
		assertThatIllegalArgumentException().isThrownBy(() -> this.sim.faults("atlantis"));
	}

	@Test
	void endpointsWhenStartedThenUseLocalhostAndDistinctPorts() {
		assertThat(this.sim.regionEndpoint(REGION).getHost()).isEqualTo("localhost");
		assertThat(this.sim.regionEndpoint(REGION).getPort()).isNotEqualTo(this.sim.authorityHost().getPort());
		assertThat(this.sim.regions()).containsExactlyInAnyOrder(REGION, OTHER_REGION);
		assertThat(this.sim.trustedCertificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
	}

	/**
	 * The JSON answer to the Reader principal's {@code POST}, after checking its status.
	 */
	private JsonNode readerTokenAnswer(URI uri, int status) throws Exception {
		return answer(this.http.post(uri, this.http.entraToken(SECRET_CLIENT, SECRET)), status);
	}

	/**
	 * The JSON answer to the Reader principal's {@code GET}, after checking its status.
	 */
	private JsonNode readerGetAnswer(URI uri, int status) throws Exception {
		return answer(this.http.get(uri, this.http.entraToken(SECRET_CLIENT, SECRET)), status);
	}

	private JsonNode postForJson(URI uri, String bearer) throws Exception {
		return TestHttp.json(this.http.post(uri, bearer));
	}

	/**
	 * The service token a {@code POST} to an MMS or ARM token operation answers.
	 */
	private String accessToken(URI uri, String bearer) throws Exception {
		return postForJson(uri, bearer).get("accessToken").stringValue();
	}

	private static JsonNode answer(HttpResponse<String> response, int status) {
		assertThat(response.statusCode()).isEqualTo(status);
		return TestHttp.json(response);
	}

}
