package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static com.acme.tokenbroker.simulator.Fixtures.AAD_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.ML_SCOPE;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_REGION;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_WORKSPACE;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scoring endpoint accepts exactly the credential of the service's current auth mode,
 * is counted but not recorded, ignores region faults and serves concurrent callers.
 */
class SimulatedWorkspaceScoringTests extends AbstractStandardWorkspaceTests {

	SimulatedWorkspaceScoringTests() {
		super(START);
	}

	@Override
	SimulatedWorkspaceBuilder customize(SimulatedWorkspaceBuilder builder) {
		return builder.asyncRegeneration(0).entraTokenLifetime(Duration.ofHours(24));
	}

	@Test
	void scoreWhenAmlTokenModeAndServiceTokenIsValidThenAnswers200WithScore() throws Exception {
		String mmsToken = serviceToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE));
		String armToken = serviceToken(this.http.armToken(REGION, WORKSPACE, ENDPOINT));

		HttpResponse<String> mms = score(WORKSPACE, SERVICE, mmsToken);
		HttpResponse<String> arm = score(WORKSPACE, ENDPOINT, armToken);

		assertThat(mms.statusCode()).isEqualTo(200);
		assertThat(TestHttp.json(mms).get("score").isNumber()).isTrue();
		assertThat(arm.statusCode()).isEqualTo(200);
	}

	@Test
	void scoreWhenKeyModeThenAcceptsPrimaryAndSecondaryKeysOnly() throws Exception {
		Keys service = this.sim.keys(WORKSPACE, KEY_SERVICE);
		Keys endpoint = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		assertThat(score(WORKSPACE, KEY_SERVICE, service.primaryKey()).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, KEY_SERVICE, service.secondaryKey()).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, KEY_ENDPOINT, endpoint.primaryKey()).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, KEY_ENDPOINT, service.primaryKey()).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, KEY_SERVICE, service.primaryKey() + "x").statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, KEY_SERVICE, service.primaryKey().substring(1)).statusCode()).isEqualTo(401);
	}

	@Test
	void scoreWhenAadTokenModeThenAcceptsMlAudienceEntraTokenOnly() throws Exception {
		String mlToken = this.http.entraToken(SECRET_CLIENT, SECRET, ML_SCOPE);
		String endpointToken = serviceToken(this.http.armToken(REGION, WORKSPACE, ENDPOINT));
		String key = this.sim.keys(WORKSPACE, AAD_ENDPOINT).primaryKey();

		assertThat(score(WORKSPACE, AAD_ENDPOINT, mlToken).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, AAD_ENDPOINT, this.bearer).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, AAD_ENDPOINT, endpointToken).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, AAD_ENDPOINT, key).statusCode()).isEqualTo(401);
	}

	@Test
	void scoreWhenCredentialIsOfAnotherModeThenAnswers401() throws Exception {
		String mlToken = this.http.entraToken(SECRET_CLIENT, SECRET, ML_SCOPE);
		String serviceToken = serviceToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE));

		HttpResponse<String> keyForToken = score(WORKSPACE, SERVICE, this.sim.keys(WORKSPACE, SERVICE).primaryKey());
		HttpResponse<String> entraForToken = score(WORKSPACE, SERVICE, mlToken);
		HttpResponse<String> tokenForKey = score(WORKSPACE, KEY_SERVICE, serviceToken);
		HttpResponse<String> entraForKey = score(WORKSPACE, KEY_SERVICE, mlToken);

		for (HttpResponse<String> response : List.of(keyForToken, entraForToken, tokenForKey, entraForKey)) {
			assertThat(response.statusCode()).isEqualTo(401);
			assertThat(response.headers().firstValue("WWW-Authenticate"))
				.hasValueSatisfying((value) -> assertThat(value).startsWith("Bearer"));
		}
		assertThat(keyForToken.body()).doesNotContain(this.sim.keys(WORKSPACE, SERVICE).primaryKey());
	}

	@Test
	void scoreWhenTokenIsForAnotherServiceOrTamperedThenAnswers401() throws Exception {
		String token = serviceToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE));
		String[] parts = token.split("\\.");
		String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"exp\":", "\"exp\":1");
		String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
				+ "." + parts[2];
		String badSignature = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();

		assertThat(score(WORKSPACE, SERVICE, token).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, ENDPOINT, token).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, SERVICE, tampered).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, SERVICE, badSignature).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, SERVICE, "not-a-jwt").statusCode()).isEqualTo(401);
	}

	@Test
	void scoreWhenTokensExpiredBySimulatorClockThenAnswers401() throws Exception {
		String serviceToken = serviceToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE));
		String mlToken = this.http.entraToken(SECRET_CLIENT, SECRET, ML_SCOPE);

		this.clock.advance(Duration.ofHours(13));

		assertThat(score(WORKSPACE, SERVICE, serviceToken).statusCode()).isEqualTo(401);
		this.clock.set(START.plus(Duration.ofHours(24)));
		assertThat(score(WORKSPACE, AAD_ENDPOINT, mlToken).statusCode()).isEqualTo(401);
		this.clock.set(START.plus(Duration.ofHours(24)).minusSeconds(1));
		assertThat(score(WORKSPACE, AAD_ENDPOINT, mlToken).statusCode()).isEqualTo(200);
	}

	@Test
	void scoreWhenKeyRegeneratedThenOldKeyIsRejectedAndOtherSlotStillAccepted() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		HttpResponse<String> regenerated = this.http.postJson(
				this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"), this.bearer,
				"{\"keyType\":\"Primary\"}");

		Keys after = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		assertThat(regenerated.statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, KEY_ENDPOINT, before.primaryKey()).statusCode()).isEqualTo(401);
		assertThat(score(WORKSPACE, KEY_ENDPOINT, after.primaryKey()).statusCode()).isEqualTo(200);
		assertThat(score(WORKSPACE, KEY_ENDPOINT, before.secondaryKey()).statusCode()).isEqualTo(200);
	}

	@Test
	void scoreWhenNoCredentialOrUnknownServiceOrWrongRegionOrMethodThenRejects() throws Exception {
		String key = this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey();
		URI otherRegionUri = URI
			.create(this.sim.regionEndpoint(OTHER_REGION) + "/score/" + WORKSPACE + "/" + KEY_SERVICE);

		assertThat(score(WORKSPACE, KEY_SERVICE, null).statusCode()).isEqualTo(401);
		assertThat(this.http.post(URI.create(this.sim.regionEndpoint(REGION) + "/score/" + WORKSPACE + "/nope"), key)
			.statusCode()).isEqualTo(404);
		assertThat(this.http.post(otherRegionUri, key).statusCode()).isEqualTo(404);
		assertThat(this.http.get(this.sim.scoringUri(WORKSPACE, KEY_SERVICE), key).statusCode()).isEqualTo(405);
		assertThat(this.http
			.post(this.sim.scoringUri(OTHER_WORKSPACE, OTHER_SERVICE),
					serviceToken(this.http.mmsToken(OTHER_REGION, OTHER_WORKSPACE, OTHER_SERVICE)))
			.statusCode()).isEqualTo(200);
	}

	@Test
	void scoreWhenCalledThenCountedButNotRecorded() throws Exception {
		String key = this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey();

		score(WORKSPACE, KEY_SERVICE, key);
		score(WORKSPACE, KEY_SERVICE, "wrong");

		assertThat(this.sim.callCount(REGION, Operation.SCORE)).isEqualTo(2);
		assertThat(this.sim.exchanges()).noneMatch((exchange) -> exchange.operation() == Operation.SCORE);
		assertThat(this.sim.exchanges()).isEmpty();
	}

	@Test
	void scoreWhenRegionFaultsAreSetThenStillAnswers() throws Exception {
		String key = this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey();

		this.sim.faults(REGION).set(Fault.error(503));
		int duringError = score(WORKSPACE, KEY_SERVICE, key).statusCode();
		int tokenDuringError = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer).statusCode();
		this.sim.faults(REGION).set(Fault.hang());
		int duringHang = score(WORKSPACE, KEY_SERVICE, key).statusCode();
		this.sim.faults(REGION).set(Fault.throttled(Duration.ofSeconds(5)));
		int duringThrottling = score(WORKSPACE, KEY_SERVICE, key).statusCode();

		assertThat(duringError).isEqualTo(200);
		assertThat(tokenDuringError).isEqualTo(503);
		assertThat(duringHang).isEqualTo(200);
		assertThat(duringThrottling).isEqualTo(200);
	}

	@Test
	void scoreWhenItsOwnOperationSwitchIsSetThenThatFaultApplies() throws Exception {
		String key = this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey();

		this.sim.faults(REGION, Operation.SCORE).set(Fault.error(502));
		HttpResponse<String> failed = score(WORKSPACE, KEY_SERVICE, key);
		this.sim.faults(REGION, Operation.SCORE).clear();

		assertThat(failed.statusCode()).isEqualTo(502);
		assertThat(score(WORKSPACE, KEY_SERVICE, key).statusCode()).isEqualTo(200);
	}

	@Test
	void scoreWhenEightCallersLoopConcurrentlyThenEveryCallSucceeds() throws Exception {
		String key = this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey();
		String token = serviceToken(this.http.mmsToken(REGION, WORKSPACE, SERVICE));
		ExecutorService callers = Executors.newFixedThreadPool(8);
		List<Future<Integer>> results = new ArrayList<>();
		try {
			for (int caller = 0; caller < 8; caller++) {
				boolean useKey = caller % 2 == 0;
				results.add(callers.submit(() -> {
					int ok = 0;
					TestHttp own = new TestHttp(this.sim);
					for (int i = 0; i < 40; i++) {
						HttpResponse<String> response = useKey
								? own.post(this.sim.scoringUri(WORKSPACE, KEY_SERVICE), key)
								: own.send(TestHttp.request(this.sim.scoringUri(WORKSPACE, SERVICE), token)
									.POST(HttpRequest.BodyPublishers.ofString("{\"data\":[" + i + "]}"))
									.build());
						ok += (response.statusCode() == 200) ? 1 : 0;
					}
					return ok;
				}));
			}
			int succeeded = 0;
			for (Future<Integer> result : results) {
				succeeded += result.get(60, TimeUnit.SECONDS);
			}

			assertThat(succeeded).isEqualTo(8 * 40);
			assertThat(this.sim.callCount(REGION, Operation.SCORE)).isEqualTo(8 * 40);
		}
		finally {
			callers.shutdownNow();
		}
	}

	private HttpResponse<String> score(String workspace, String service, String credential) throws Exception {
		return this.http.send(TestHttp.request(this.sim.scoringUri(workspace, service), credential)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"data\":[[1,2,3]]}"))
			.build());
	}

	private String serviceToken(URI tokenUri) throws Exception {
		return TestHttp.json(this.http.post(tokenUri, this.bearer)).get("accessToken").stringValue();
	}

}
