package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.ARM_SCOPE;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
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
 * Every fault switch, observed on the wire.
 */
class SimulatedWorkspaceFaultTests extends AbstractStandardWorkspaceTests {

	@Override
	SimulatedWorkspaceBuilder customize(SimulatedWorkspaceBuilder builder) {
		return builder.entraTokenLifetime(Duration.ofHours(24));
	}

	@Test
	void downWhenSetThenConnectionRefusedAndClearingRebindsSamePort() throws Exception {
		int port = this.sim.regionEndpoint(REGION).getPort();

		this.sim.faults(REGION).set(Fault.down());

		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new TestHttp(this.sim).post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer));
		assertThat(new TestHttp(this.sim)
			.post(this.http.mmsToken(OTHER_REGION, OTHER_WORKSPACE, OTHER_SERVICE), this.bearer)
			.statusCode()).isEqualTo(201);
		this.sim.faults(REGION).clear();
		assertThat(this.sim.regionEndpoint(REGION).getPort()).isEqualTo(port);
		assertThat(
				new TestHttp(this.sim).post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer).statusCode())
			.isEqualTo(201);
		assertThat(this.sim.callCount(REGION, Operation.MMS_TOKEN)).isEqualTo(1);
	}

	@Test
	void downWhenSetOnEntraThenTokenEndpointRefusesAndComesBack() throws Exception {
		this.sim.entraFaults().set(Fault.down());

		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new TestHttp(this.sim).entraToken(SECRET_CLIENT, SECRET));
		this.sim.entraFaults().clear();
		assertThat(new TestHttp(this.sim).entraToken(SECRET_CLIENT, SECRET)).isNotBlank();
	}

	@Test
	void downWhenSetBeforeStartThenListenerStartsRefusing() throws Exception {
		SimulatedWorkspaceBuilder builder = SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.clientSecretPrincipal("app", "pw");
		try (SimulatedWorkspace other = builder.build()) {
			other.entraFaults().set(Fault.down());
			other.start();

			assertThatExceptionOfType(ConnectException.class)
				.isThrownBy(() -> new TestHttp(other).entraToken("app", "pw"));
			other.entraFaults().clear();
			assertThat(new TestHttp(other).entraToken("app", "pw")).isNotBlank();
		}
	}

	@Test
	void hangWhenSetThenClientTimesOutAndCallIsCounted() throws Exception {
		this.sim.faults(REGION).set(Fault.hang());
		HttpRequest request = TestHttp.request(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer)
			.timeout(Duration.ofMillis(400))
			.POST(HttpRequest.BodyPublishers.noBody())
			.build();

		assertThatExceptionOfType(HttpTimeoutException.class).isThrownBy(() -> this.http.send(request));
		assertThat(this.sim.callCount(REGION, Operation.MMS_TOKEN)).isEqualTo(1);
		this.sim.faults(REGION).clear();
		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer).statusCode())
			.isEqualTo(201);
	}

	@Test
	void hangWhenClearedThenHeldRequestIsAnswered() throws Exception {
		this.sim.faults(REGION).set(Fault.hang());
		CompletableFuture<HttpResponse<String>> pending = this.http.client()
			.sendAsync(TestHttp.request(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer)
				.POST(HttpRequest.BodyPublishers.noBody())
				.build(), HttpResponse.BodyHandlers.ofString());
		awaitCalls(REGION, Operation.MMS_TOKEN, 1);
		assertThat(pending).isNotDone();

		this.sim.faults(REGION).clear();

		assertThat(pending.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
	}

	@Test
	void hangWhenSimulatorClosesThenHeldRequestIsReleasedPromptly() throws Exception {
		SimulatedWorkspace other = SimulatedWorkspace.builder()
			.workspace("ws", "sub", "rg", "eastus")
			.webservice("ws", "svc")
			.clientSecretPrincipal("app", "pw")
			.grant("app", "ws", "Reader")
			.start();
		TestHttp otherHttp = new TestHttp(other);
		String otherBearer = otherHttp.entraToken("app", "pw");
		other.faults("eastus").set(Fault.hang());
		CompletableFuture<HttpResponse<String>> pending = otherHttp.client()
			.sendAsync(TestHttp.request(java.net.URI.create(other.regionEndpoint("eastus")
					+ "/modelmanagement/v1.0/subscriptions/sub"
					+ "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/services/svc/token"),
					otherBearer)
				.POST(HttpRequest.BodyPublishers.noBody())
				.build(), HttpResponse.BodyHandlers.ofString());
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (other.callCount("eastus", Operation.MMS_TOKEN) == 0 && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}

		long start = System.nanoTime();
		other.close();

		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
			.withCauseInstanceOf(IOException.class);
	}

	@Test
	void slowWhenSetThenAnswersNormallyAfterDelay() throws Exception {
		this.sim.faults(REGION).set(Fault.slow(Duration.ofMillis(300)));

		long start = System.nanoTime();
		HttpResponse<String> response = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
		assertThat(response.statusCode()).isEqualTo(200);
	}

	@Test
	void throttledWhenSetThenAnswers429WithRetryAfterInEachShape() throws Exception {
		this.sim.faults(REGION).set(Fault.throttled(Duration.ofSeconds(7)));
		this.sim.entraFaults().set(Fault.throttled(Duration.ofSeconds(3)));

		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		HttpResponse<String> arm = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		HttpResponse<String> entra = this.http.form(Map.of("grant_type", "client_credentials", "client_id",
				SECRET_CLIENT, "client_secret", SECRET, "scope", ARM_SCOPE));

		assertThat(mms.statusCode()).isEqualTo(429);
		assertThat(mms.headers().firstValue("Retry-After")).contains("7");
		assertThat(TestHttp.json(mms).get("statusCode").intValue()).isEqualTo(429);
		assertThat(arm.statusCode()).isEqualTo(429);
		assertThat(arm.headers().firstValue("Retry-After")).contains("7");
		assertThat(TestHttp.json(arm).get("error").get("code").stringValue()).isEqualTo("TooManyRequests");
		assertThat(entra.statusCode()).isEqualTo(429);
		assertThat(entra.headers().firstValue("Retry-After")).contains("3");
		assertThat(TestHttp.json(entra).get("error").stringValue()).isEqualTo("temporarily_unavailable");
		assertThat(this.sim.callCount(REGION, Operation.MMS_TOKEN)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.ARM_TOKEN)).isEqualTo(1);
		assertThat(this.sim.entraCallCount()).isEqualTo(1);
	}

	@Test
	void errorWhenSetThenAnswersStatusWithApiErrorBody() throws Exception {
		this.sim.faults(REGION).set(Fault.error(503));

		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		this.sim.faults(REGION).set(Fault.error(500));
		HttpResponse<String> arm = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		TestHttp.assertMmsError(mms, 503, "ServiceUnavailable");
		TestHttp.assertArmError(arm, 500, "InternalServerError");
	}

	@Test
	void malformedWhenSetThenAnswersSuccessStatusWithNonJsonBody() throws Exception {
		this.sim.faults(REGION).set(Fault.malformed());
		this.sim.entraFaults().set(Fault.malformed());

		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		HttpResponse<String> arm = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		HttpResponse<String> entra = this.http.form(Map.of("grant_type", "client_credentials", "client_id",
				SECRET_CLIENT, "client_secret", SECRET, "scope", ARM_SCOPE));

		assertThat(mms.statusCode()).isEqualTo(201);
		assertThat(arm.statusCode()).isEqualTo(200);
		assertThat(entra.statusCode()).isEqualTo(200);
		for (HttpResponse<String> response : java.util.List.of(mms, arm, entra)) {
			assertThatExceptionOfType(tools.jackson.core.JacksonException.class)
				.isThrownBy(() -> TestHttp.json(response));
		}
	}

	@Test
	void missingFieldsWhenSetThenSuccessJsonLacksExpiry() throws Exception {
		this.sim.faults(REGION).set(Fault.missingFields());
		this.sim.entraFaults().set(Fault.missingFields());

		JsonNode mms = TestHttp.json(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer));
		JsonNode arm = TestHttp.json(this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer));
		JsonNode entra = TestHttp.json(this.http.form(Map.of("grant_type", "client_credentials", "client_id",
				SECRET_CLIENT, "client_secret", SECRET, "scope", ARM_SCOPE)));

		assertThat(mms.has("accessToken")).isTrue();
		assertThat(mms.has("expiryOn")).isFalse();
		assertThat(arm.has("accessToken")).isTrue();
		assertThat(arm.has("expiryTimeUtc")).isFalse();
		assertThat(entra.has("access_token")).isTrue();
		assertThat(entra.has("expires_in")).isFalse();
	}

	@Test
	void expiredWhenSetThenIssuedTokenIsAlreadyPastExpiry() throws Exception {
		this.sim.faults(REGION).set(Fault.expired());
		Instant now = this.clock.instant();

		JsonNode mms = TestHttp.json(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer));
		JsonNode arm = TestHttp.json(this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer));

		assertThat(Instant.ofEpochSecond(mms.get("expiryOn").longValue())).isBefore(now);
		assertThat(Instant.ofEpochSecond(arm.get("expiryTimeUtc").longValue())).isBefore(now);
		String token = mms.get("accessToken").stringValue();
		assertThat(SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant().getEpochSecond())
			.isEqualTo(mms.get("expiryOn").longValue());
		assertThat(this.sim.acceptsServiceToken(WORKSPACE, SERVICE, token)).isFalse();
	}

	@Test
	void expiredWhenSetOnEntraThenAccessTokenIsRejectedByMms() throws Exception {
		this.sim.entraFaults().set(Fault.expired());

		String expired = this.http.entraToken(SECRET_CLIENT, SECRET);

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), expired).statusCode()).isEqualTo(401);
	}

	@Test
	void oversizedWhenSetThenAnswersValidJsonOverOneMebibyte() throws Exception {
		this.sim.faults(REGION).set(Fault.oversized());

		HttpResponse<String> mms = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		HttpResponse<String> service = this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer);

		assertThat(mms.statusCode()).isEqualTo(201);
		assertThat(mms.body().length()).isGreaterThan(1024 * 1024);
		assertThat(TestHttp.json(mms).get("expiryOn").isIntegralNumber()).isTrue();
		assertThat(service.body().length()).isGreaterThan(1024 * 1024);
		assertThat(TestHttp.json(service).get("computeType").stringValue()).isEqualTo("AKS");
		RecordedExchange recorded = this.sim.exchanges().get(0);
		assertThat(recorded.responseBodyLength()).isGreaterThan(1024 * 1024);
		assertThat(recorded.responseBody()).hasSizeLessThanOrEqualTo(64 * 1024);
	}

	@Test
	void entraFaultWhenSetThenKeysAndDiscoveryStillAnswer() throws Exception {
		this.sim.entraFaults().set(Fault.error(503));

		assertThat(this.http.get(this.sim.entraJwksUri(), null).statusCode()).isEqualTo(200);
		assertThat(this.http.get(this.sim.clusterJwksUri(), null).statusCode()).isEqualTo(200);
		assertThat(this.http.form(Map.of("grant_type", "client_credentials")).statusCode()).isEqualTo(503);
	}

	@Test
	void faultWhenSetOnOneRegionThenOtherRegionUnaffected() throws Exception {
		this.sim.faults(REGION).set(Fault.error(500));

		assertThat(this.http.post(this.http.mmsToken(OTHER_REGION, OTHER_WORKSPACE, OTHER_SERVICE), this.bearer)
			.statusCode()).isEqualTo(201);
		assertThat(this.sim.faults(REGION).current()).isEqualTo(Fault.error(500));
		assertThat(this.sim.faults(OTHER_REGION).current()).isEqualTo(Fault.none());
	}

	@Test
	void operationFaultWhenSetThenAppliesToThatOperationOnly() throws Exception {
		this.sim.faults(REGION, Operation.ARM_REGENERATE_KEYS).set(Fault.error(503));
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		HttpResponse<String> regenerate = armRegenerate();
		HttpResponse<String> list = this.http.post(this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "listKeys"),
				this.bearer);
		HttpResponse<String> token = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		TestHttp.assertArmError(regenerate, 503, "ServiceUnavailable");
		assertThat(list.statusCode()).isEqualTo(200);
		assertThat(token.statusCode()).isEqualTo(200);
		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT)).isEqualTo(before);
		assertThat(this.sim.faults(REGION, Operation.ARM_REGENERATE_KEYS).name())
			.isEqualTo(REGION + "/ARM_REGENERATE_KEYS");
	}

	@Test
	void operationFaultWhenSetOverRegionFaultThenOverridesItForThatOperationOnly() throws Exception {
		this.sim.faults(REGION).set(Fault.error(500));
		this.sim.faults(REGION, Operation.MMS_TOKEN).set(Fault.throttled(Duration.ofSeconds(9)));

		HttpResponse<String> overridden = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		HttpResponse<String> regional = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		this.sim.faults(REGION, Operation.MMS_TOKEN).clear();
		HttpResponse<String> regionalAgain = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE),
				this.bearer);

		assertThat(overridden.statusCode()).isEqualTo(429);
		assertThat(overridden.headers().firstValue("Retry-After")).contains("9");
		assertThat(regional.statusCode()).isEqualTo(500);
		assertThat(regionalAgain.statusCode()).isEqualTo(500);
	}

	@Test
	void operationFaultWhenPollIsThrottledThenPollFailsAndOperationDoesNotAdvance() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_SERVICE);
		URI location = URI.create(
				this.http
					.postJson(this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"), this.bearer,
							"{\"keyType\":\"Primary\"}")
					.headers()
					.firstValue("Operation-Location")
					.orElseThrow());
		this.sim.faults(REGION, Operation.MMS_GET_OPERATION).set(Fault.throttled(Duration.ofSeconds(4)));

		HttpResponse<String> throttled1 = this.http.get(location, this.bearer);
		HttpResponse<String> throttled2 = this.http.get(location, this.bearer);
		this.sim.faults(REGION, Operation.MMS_GET_OPERATION).clear();
		String first = TestHttp.json(this.http.get(location, this.bearer)).get("state").stringValue();
		Keys whileRunning = this.sim.keys(WORKSPACE, KEY_SERVICE);
		String second = TestHttp.json(this.http.get(location, this.bearer)).get("state").stringValue();

		assertThat(throttled1.statusCode()).isEqualTo(429);
		assertThat(throttled2.statusCode()).isEqualTo(429);
		assertThat(TestHttp.json(throttled1).get("statusCode").intValue()).isEqualTo(429);
		assertThat(first).isEqualTo("Running");
		assertThat(whileRunning).isEqualTo(before);
		assertThat(second).isEqualTo("Succeeded");
		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE).primaryKey()).isNotEqualTo(before.primaryKey());
		assertThat(this.sim.callCount(REGION, Operation.MMS_GET_OPERATION)).isEqualTo(4);
	}

	@Test
	void operationFaultWhenDownOnArmPollThenConnectionIsDroppedAndOtherCallsAnswer() throws Exception {
		URI location = URI.create(armRegenerate().headers().firstValue("Location").orElseThrow());
		this.sim.faults(REGION, Operation.ARM_GET_OPERATION).set(Fault.down());

		assertThatExceptionOfType(IOException.class).isThrownBy(() -> this.http.get(location, this.bearer));
		int tokenWhileDown = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer).statusCode();
		this.sim.faults(REGION, Operation.ARM_GET_OPERATION).clear();
		int afterClear = this.http.get(location, this.bearer).statusCode();

		assertThat(tokenWhileDown).isEqualTo(200);
		assertThat(afterClear).isEqualTo(202);
		assertThat(this.sim.regionEndpoint(REGION).getPort()).isEqualTo(location.getPort());
	}

	@Test
	void operationFaultWhenErrorOnArmPollThenAnswersStatusAndKeysUnchanged() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		URI location = URI.create(armRegenerate().headers().firstValue("Location").orElseThrow());
		this.sim.faults(REGION, Operation.ARM_GET_OPERATION).set(Fault.error(500));

		HttpResponse<String> first = this.http.get(location, this.bearer);
		HttpResponse<String> second = this.http.get(location, this.bearer);

		assertThat(first.statusCode()).isEqualTo(500);
		assertThat(second.statusCode()).isEqualTo(500);
		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT)).isEqualTo(before);
	}

	@Test
	void operationFaultWhenHangOnOneOperationThenOthersAnswerAndClearingReleasesIt() throws Exception {
		this.sim.faults(REGION, Operation.MMS_LIST_KEYS).set(Fault.hang());
		CompletableFuture<HttpResponse<String>> pending = this.http.client()
			.sendAsync(TestHttp.request(this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "listkeys"), this.bearer)
				.POST(HttpRequest.BodyPublishers.noBody())
				.build(), HttpResponse.BodyHandlers.ofString());
		awaitCalls(REGION, Operation.MMS_LIST_KEYS, 1);

		int tokenMeanwhile = this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer).statusCode();
		assertThat(pending).isNotDone();
		this.sim.faults(REGION, Operation.MMS_LIST_KEYS).clear();

		assertThat(tokenMeanwhile).isEqualTo(201);
		assertThat(pending.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
	}

	@Test
	void faultsWhenOperationIsServedByEntraThenItsRegionSwitchHasNoEffect() throws Exception {
		this.sim.faults(REGION, Operation.ENTRA_TOKEN).set(Fault.error(503));

		String token = new TestHttp(this.sim).entraToken(SECRET_CLIENT, SECRET);

		assertThat(token).isNotBlank();
		assertThat(this.sim.faults(REGION, Operation.ENTRA_TOKEN).current()).isEqualTo(Fault.error(503));
	}

	@Test
	void faultsWhenRegionUnknownThenRejectsAndEachRegionHasItsOwnSwitches() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.sim.faults("atlantis", Operation.MMS_TOKEN));
		assertThat(this.sim.faults(REGION, Operation.SCORE).current()).isEqualTo(Fault.none());
		assertThat(this.sim.faults(REGION, Operation.MMS_TOKEN))
			.isNotSameAs(this.sim.faults(OTHER_REGION, Operation.MMS_TOKEN));
	}

	private HttpResponse<String> armRegenerate() throws Exception {
		return this.http.postJson(this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"), this.bearer,
				"{\"keyType\":\"Primary\"}");
	}

	private void awaitCalls(String region, Operation operation, long expected) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (this.sim.callCount(region, operation) < expected && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}
		assertThat(this.sim.callCount(region, operation)).isEqualTo(expected);
	}

}
