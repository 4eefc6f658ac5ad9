package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.AAD_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_WORKSPACE;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Auth modes of web services and online endpoints: what their metadata reports, which
 * credential operations they answer, keys, and switching the mode at run time.
 */
class SimulatedWorkspaceAuthModeTests extends AbstractStandardWorkspaceTests {

	SimulatedWorkspaceAuthModeTests() {
		super(START);
	}

	@Test
	void authModeWhenNotSetThenAmlTokenElseTheBuilderValue() {
		assertThat(this.sim.authMode(WORKSPACE, SERVICE)).isEqualTo(AuthMode.AML_TOKEN);
		assertThat(this.sim.authMode(WORKSPACE, ENDPOINT)).isEqualTo(AuthMode.AML_TOKEN);
		assertThat(this.sim.authMode(WORKSPACE, KEY_SERVICE)).isEqualTo(AuthMode.KEY);
		assertThat(this.sim.authMode(WORKSPACE, KEY_ENDPOINT)).isEqualTo(AuthMode.KEY);
		assertThat(this.sim.authMode(WORKSPACE, AAD_ENDPOINT)).isEqualTo(AuthMode.AAD_TOKEN);
	}

	@Test
	void authModeWhenAadTokenOnWebserviceOrServiceUnknownThenRejects() {
		SimulatedWorkspaceBuilder builder = SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.webservice("ws", "svc")
			.onlineEndpoint("ws", "ep");

		assertThatIllegalArgumentException().isThrownBy(() -> builder.authMode("ws", "svc", AuthMode.AAD_TOKEN))
			.withMessageContaining("online endpoints only");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.authMode("ws", "nope", AuthMode.KEY));
		assertThatIllegalArgumentException().isThrownBy(() -> builder.authMode("nope", "svc", AuthMode.KEY));
		assertThat(builder.authMode("ws", "ep", AuthMode.AAD_TOKEN)).isSameAs(builder);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.sim.setAuthMode(WORKSPACE, SERVICE, AuthMode.AAD_TOKEN));
		assertThatIllegalArgumentException().isThrownBy(() -> this.sim.setAuthMode(WORKSPACE, "nope", AuthMode.KEY));
		assertThatIllegalArgumentException().isThrownBy(() -> this.sim.keys("nope", SERVICE));
		assertThat(this.sim.authMode(WORKSPACE, SERVICE)).isEqualTo(AuthMode.AML_TOKEN);
	}

	@Test
	void builderWhenWebserviceAndEndpointShareNameThenRejects() {
		SimulatedWorkspaceBuilder builder = SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.workspace("other", "sub", "rg", "eastus")
			.webservice("ws", "same");

		assertThatIllegalArgumentException().isThrownBy(() -> builder.onlineEndpoint("ws", "same"))
			.withMessageContaining("may not share");
		assertThat(builder.onlineEndpoint("other", "same")).isSameAs(builder);
	}

	@Test
	void mmsGetServiceWhenEachModeThenReportsItsFlagsAndScoringUri() throws Exception {
		JsonNode token = TestHttp.json(this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer));
		JsonNode key = TestHttp.json(this.http.get(this.http.mmsService(REGION, WORKSPACE, KEY_SERVICE), this.bearer));

		assertThat(token.get("aadAuthEnabled").booleanValue()).isTrue();
		assertThat(token.get("authEnabled").booleanValue()).isFalse();
		assertThat(token.get("scoringUri").stringValue()).isEqualTo(this.sim.scoringUri(WORKSPACE, SERVICE).toString());
		assertThat(key.get("aadAuthEnabled").booleanValue()).isFalse();
		assertThat(key.get("authEnabled").booleanValue()).isTrue();
		assertThat(key.get("scoringUri").stringValue())
			.isEqualTo(this.sim.scoringUri(WORKSPACE, KEY_SERVICE).toString());
	}

	@Test
	void armGetEndpointWhenEachModeThenReportsArmAuthModeAndScoringUri() throws Exception {
		List<String> modes = new java.util.ArrayList<>();
		for (String endpoint : List.of(ENDPOINT, KEY_ENDPOINT, AAD_ENDPOINT)) {
			JsonNode properties = TestHttp
				.json(this.http.get(this.http.armEndpoint(REGION, WORKSPACE, endpoint), this.bearer))
				.get("properties");
			modes.add(properties.get("authMode").stringValue());
			assertThat(properties.get("scoringUri").stringValue())
				.isEqualTo(this.sim.scoringUri(WORKSPACE, endpoint).toString());
		}

		assertThat(modes).containsExactly("AMLToken", "Key", "AADToken");
	}

	@Test
	void scoringUriWhenKnownServiceThenOnRegionPortUnderScore() {
		URI uri = this.sim.scoringUri(WORKSPACE, KEY_SERVICE);

		assertThat(uri)
			.isEqualTo(URI.create(this.sim.regionEndpoint(REGION) + "/score/" + WORKSPACE + "/" + KEY_SERVICE));
		assertThat(this.sim.scoringUri(OTHER_WORKSPACE, OTHER_SERVICE).getPort())
			.isEqualTo(this.sim.regionEndpoint(Fixtures.OTHER_REGION).getPort());
		assertThatIllegalArgumentException().isThrownBy(() -> this.sim.scoringUri(WORKSPACE, "nope"));
	}

	@Test
	void setAuthModeWhenSwitchedAtRunTimeThenMetadataAndAcceptedScoringCredentialFollow() throws Exception {
		String serviceToken = TestHttp.json(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer))
			.get("accessToken")
			.stringValue();
		String key = this.sim.keys(WORKSPACE, SERVICE).primaryKey();
		URI scoring = this.sim.scoringUri(WORKSPACE, SERVICE);
		int tokenBefore = this.http.post(scoring, serviceToken).statusCode();
		int keyBefore = this.http.post(scoring, key).statusCode();

		this.sim.setAuthMode(WORKSPACE, SERVICE, AuthMode.KEY);

		JsonNode metadata = TestHttp.json(this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer));
		assertThat(this.sim.authMode(WORKSPACE, SERVICE)).isEqualTo(AuthMode.KEY);
		assertThat(metadata.get("authEnabled").booleanValue()).isTrue();
		assertThat(metadata.get("aadAuthEnabled").booleanValue()).isFalse();
		assertThat(tokenBefore).isEqualTo(200);
		assertThat(keyBefore).isEqualTo(401);
		assertThat(this.http.post(scoring, serviceToken).statusCode()).isEqualTo(401);
		assertThat(this.http.post(scoring, key).statusCode()).isEqualTo(200);
		assertThat(this.sim.keys(WORKSPACE, SERVICE).primaryKey()).isEqualTo(key);
	}

	@Test
	void setAuthModeWhenEndpointSwitchedToAadTokenThenGetReportsItAndTokenCallIsRejected() throws Exception {
		this.sim.setAuthMode(WORKSPACE, ENDPOINT, AuthMode.AAD_TOKEN);

		JsonNode properties = TestHttp
			.json(this.http.get(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), this.bearer))
			.get("properties");
		HttpResponse<String> token = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		assertThat(properties.get("authMode").stringValue()).isEqualTo("AADToken");
		assertThat(token.statusCode()).isEqualTo(400);
	}

	@Test
	void listKeysWhenKeyModeThenAnswers200WithCurrentKeysInEachShape() throws Exception {
		Keys mmsKeys = this.sim.keys(WORKSPACE, KEY_SERVICE);
		Keys armKeys = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		HttpResponse<String> mms = this.http.post(mmsAction(KEY_SERVICE, "listkeys"), this.bearer);
		HttpResponse<String> arm = this.http.post(armAction(KEY_ENDPOINT, "listKeys"), this.bearer);

		assertThat(mms.statusCode()).isEqualTo(200);
		assertThat(TestHttp.json(mms).get("primaryKey").stringValue()).isEqualTo(mmsKeys.primaryKey());
		assertThat(TestHttp.json(mms).get("secondaryKey").stringValue()).isEqualTo(mmsKeys.secondaryKey());
		assertThat(arm.statusCode()).isEqualTo(200);
		assertThat(TestHttp.json(arm).get("primaryKey").stringValue()).isEqualTo(armKeys.primaryKey());
		assertThat(TestHttp.json(arm).get("secondaryKey").stringValue()).isEqualTo(armKeys.secondaryKey());
	}

	@Test
	void listKeysWhenPathSpelledInOtherCaseThenStillAnswers() throws Exception {
		HttpResponse<String> armLower = this.http.post(armAction(KEY_ENDPOINT, "listkeys"), this.bearer);
		HttpResponse<String> mmsCamel = this.http.post(mmsAction(KEY_SERVICE, "listKeys"), this.bearer);

		assertThat(armLower.statusCode()).isEqualTo(200);
		assertThat(mmsCamel.statusCode()).isEqualTo(200);
		assertThat(this.sim.callCount(REGION, Operation.ARM_LIST_KEYS)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.MMS_LIST_KEYS)).isEqualTo(1);
	}

	@Test
	void keyOperationsWhenNotKeyModeThenAnswer400InEachShape() throws Exception {
		HttpResponse<String> mmsList = this.http.post(mmsAction(SERVICE, "listkeys"), this.bearer);
		HttpResponse<String> mmsRegenerate = this.http.postJson(mmsAction(SERVICE, "regenerateKeys"), this.bearer,
				"{\"keyType\":\"Primary\"}");
		HttpResponse<String> armList = this.http.post(armAction(AAD_ENDPOINT, "listKeys"), this.bearer);
		HttpResponse<String> armRegenerate = this.http.postJson(armAction(ENDPOINT, "regenerateKeys"), this.bearer,
				"{\"keyType\":\"Primary\"}");

		assertThat(mmsList.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(mmsList).get("statusCode").intValue()).isEqualTo(400);
		assertThat(TestHttp.json(mmsList).get("message").stringValue()).contains("Key authentication is not enabled");
		assertThat(mmsRegenerate.statusCode()).isEqualTo(400);
		assertThat(armList.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(armList).get("error").get("message").stringValue()).contains("AADToken");
		assertThat(armRegenerate.statusCode()).isEqualTo(400);
		assertThat(mmsList.body() + armList.body()).doesNotContain(this.sim.keys(WORKSPACE, SERVICE).primaryKey());
	}

	@Test
	void tokenWhenServiceNotInAmlTokenModeThenAnswers400InEachShape() throws Exception {
		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, KEY_SERVICE), this.bearer);
		HttpResponse<String> armKey = this.http.post(this.http.armToken(REGION, WORKSPACE, KEY_ENDPOINT), this.bearer);
		HttpResponse<String> armAad = this.http.post(this.http.armToken(REGION, WORKSPACE, AAD_ENDPOINT), this.bearer);

		assertThat(mms.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(mms).get("message").stringValue()).contains("Token authentication is not enabled");
		assertThat(armKey.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(armKey).get("error").get("code").stringValue()).isEqualTo("BadRequest");
		assertThat(armAad.statusCode()).isEqualTo(400);
	}

	@Test
	void keysWhenStartedThenEveryServiceHasTwoDistinctRandomKeysReportedToObserver() {
		Set<String> all = new java.util.HashSet<>();
		for (String service : List.of(SERVICE, ENDPOINT, KEY_SERVICE, KEY_ENDPOINT, AAD_ENDPOINT)) {
			Keys keys = this.sim.keys(WORKSPACE, service);
			for (String key : List.of(keys.primaryKey(), keys.secondaryKey())) {
				assertThat(key).hasSizeGreaterThanOrEqualTo(32).matches("[A-Za-z0-9_-]+");
				assertThat(this.issued).contains(key);
				all.add(key);
			}
			assertThat(keys.toString()).doesNotContain(keys.primaryKey()).doesNotContain(keys.secondaryKey());
		}

		assertThat(all).hasSize(10);
	}

	@Test
	void keysWhenClockMovesFarThenUnchangedAndStillAccepted() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		this.clock.set(START.plus(java.time.Duration.ofDays(3650)));

		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT)).isEqualTo(before);
		assertThat(this.http.post(this.sim.scoringUri(WORKSPACE, KEY_ENDPOINT), before.secondaryKey()).statusCode())
			.isEqualTo(200);
	}

	@Test
	void callCountWhenKeyOperationsCalledThenCountsEachOperation() throws Exception {
		this.http.post(mmsAction(KEY_SERVICE, "listkeys"), this.bearer);
		this.http.post(mmsAction(KEY_SERVICE, "listkeys"), this.bearer);
		this.http.post(armAction(KEY_ENDPOINT, "listKeys"), this.bearer);
		this.http.get(mmsAction(KEY_SERVICE, "listkeys"), this.bearer);

		assertThat(this.sim.callCount(REGION, Operation.MMS_LIST_KEYS)).isEqualTo(2);
		assertThat(this.sim.callCount(REGION, Operation.ARM_LIST_KEYS)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.UNKNOWN)).isEqualTo(1);
	}

	@Test
	void listKeysWhenWrongMethodThenAnswers405AllowingPost() throws Exception {
		HttpResponse<String> response = this.http.get(mmsAction(KEY_SERVICE, "listkeys"), this.bearer);

		assertThat(response.statusCode()).isEqualTo(405);
		assertThat(response.headers().firstValue("Allow")).contains("POST");
	}

	/** An MMS action on a service of the first workspace. */
	private URI mmsAction(String service, String action) {
		return this.http.mmsAction(REGION, WORKSPACE, service, action);
	}

	/** An ARM action on an online endpoint of the first workspace. */
	private URI armAction(String endpoint, String action) {
		return this.http.armAction(REGION, WORKSPACE, endpoint, action);
	}

}
