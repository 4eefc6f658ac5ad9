package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.RESOURCE_GROUP;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SUBSCRIPTION;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Key regeneration, v1 ({@code Operation-Location}, {@code AsyncOperationStatus}) and v2
 * ({@code Location}, {@code Azure-AsyncOperation}): the key changes in the requested slot
 * only, and only when the operation completes.
 */
class SimulatedWorkspaceKeyRegenerationTests extends AbstractStandardWorkspaceTests {

	private static final Pattern ARM_LOCATION = Pattern.compile("https://localhost:\\d+/subscriptions/" + SUBSCRIPTION
			+ "/providers/Microsoft\\.MachineLearningServices/locations/" + REGION
			+ "/mfeOperationResults/[0-9a-f-]{36}\\?api-version=" + Fixtures.API_VERSION);

	private static final Pattern ARM_ASYNC_OPERATION = Pattern.compile("https://localhost:\\d+/subscriptions/"
			+ SUBSCRIPTION + "/providers/Microsoft\\.MachineLearningServices/locations/" + REGION
			+ "/mfeOperationsStatus/[0-9a-f-]{36}\\?api-version=" + Fixtures.API_VERSION);

	SimulatedWorkspaceKeyRegenerationTests() {
		super(START);
	}

	@Test
	void mmsRegenerateKeysWhenAsyncThenPollGoesRunningToSucceededAndKeyChangesOnlyThen() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_SERVICE);

		HttpResponse<String> accepted = mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Secondary\",\"keyValue\":null}");
		String location = accepted.headers().firstValue("Operation-Location").orElseThrow();
		Keys afterAccept = this.sim.keys(WORKSPACE, KEY_SERVICE);
		this.clock.advance(Duration.ofSeconds(5));
		JsonNode running = TestHttp.json(this.http.get(URI.create(location), this.bearer));
		Keys afterRunning = this.sim.keys(WORKSPACE, KEY_SERVICE);
		this.clock.advance(Duration.ofSeconds(5));
		JsonNode succeeded = TestHttp.json(this.http.get(URI.create(location), this.bearer));
		Keys after = this.sim.keys(WORKSPACE, KEY_SERVICE);

		assertThat(accepted.statusCode()).isEqualTo(202);
		assertThat(accepted.body()).isEmpty();
		assertThat(location).startsWith(this.sim.regionEndpoint(REGION) + "/modelmanagement/v1.0/subscriptions/"
				+ SUBSCRIPTION + "/resourceGroups/" + RESOURCE_GROUP
				+ "/providers/Microsoft.MachineLearningServices/workspaces/" + WORKSPACE + "/operations/");
		assertThat(afterAccept).isEqualTo(before);
		assertThat(running.get("state").stringValue()).isEqualTo("Running");
		assertThat(running.get("id").stringValue()).isEqualTo(location.substring(location.lastIndexOf('/') + 1));
		assertThat(running.get("operationType").stringValue()).isEqualTo("RegenerateServiceKeys");
		assertThat(running.get("createdTime").stringValue()).isEqualTo(START.toString());
		assertThat(running.has("endTime")).isFalse();
		assertThat(afterRunning).isEqualTo(before);
		assertThat(succeeded.get("state").stringValue()).isEqualTo("Succeeded");
		assertThat(succeeded.get("endTime").stringValue()).isEqualTo(START.plusSeconds(10).toString());
		assertThat(succeeded.has("error")).isFalse();
		assertThat(after.primaryKey()).isEqualTo(before.primaryKey());
		assertThat(after.secondaryKey()).isNotEqualTo(before.secondaryKey()).hasSizeGreaterThanOrEqualTo(32);
		assertThat(this.issued).contains(after.secondaryKey());
	}

	@Test
	void mmsOperationWhenPolledAfterCompletionThenStaysSucceededWithoutFurtherChange() throws Exception {
		String location = mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Operation-Location")
			.orElseThrow();
		pollUntilTerminal(location);
		Keys done = this.sim.keys(WORKSPACE, KEY_SERVICE);

		JsonNode again = TestHttp.json(this.http.get(URI.create(location), this.bearer));

		assertThat(again.get("state").stringValue()).isEqualTo("Succeeded");
		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE)).isEqualTo(done);
		HttpResponse<String> listed = this.http.post(this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "listkeys"),
				this.bearer);
		assertThat(TestHttp.json(listed).get("primaryKey").stringValue()).isEqualTo(done.primaryKey());
	}

	@Test
	void armRegenerateKeysWhenAsyncThen202LocationThen202Then200AndKeyChangesOnlyThen() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		HttpResponse<String> accepted = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}");
		String location = accepted.headers().firstValue("Location").orElseThrow();
		HttpResponse<String> running = this.http.get(URI.create(location), this.bearer);
		Keys afterRunning = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		HttpResponse<String> done = this.http.get(URI.create(location), this.bearer);
		Keys after = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		assertThat(accepted.statusCode()).isEqualTo(202);
		assertThat(accepted.body()).isEmpty();
		assertThat(location).matches(ARM_LOCATION);
		assertThat(accepted.headers().firstValue("Azure-AsyncOperation"))
			.hasValueSatisfying((value) -> assertThat(value).matches(ARM_ASYNC_OPERATION));
		assertThat(accepted.headers().firstValue("Retry-After")).contains("10");
		assertThat(running.statusCode()).isEqualTo(202);
		assertThat(running.headers().firstValue("Retry-After")).contains("10");
		assertThat(running.headers().firstValue("Location")).contains(location);
		assertThat(afterRunning).isEqualTo(before);
		assertThat(done.statusCode()).isEqualTo(200);
		assertThat(done.body()).isEmpty();
		assertThat(after.primaryKey()).isNotEqualTo(before.primaryKey());
		assertThat(after.secondaryKey()).isEqualTo(before.secondaryKey());
		assertThat(this.http.get(URI.create(location), this.bearer).statusCode()).isEqualTo(200);
	}

	@Test
	void armAzureAsyncOperationWhenPolledThenReportsInProgressThenSucceeded() throws Exception {
		String status = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Secondary\"}").headers()
			.firstValue("Azure-AsyncOperation")
			.orElseThrow();

		HttpResponse<String> first = this.http.get(URI.create(status), this.bearer);
		HttpResponse<String> second = this.http.get(URI.create(status), this.bearer);

		assertThat(first.statusCode()).isEqualTo(200);
		assertThat(TestHttp.json(first).get("status").stringValue()).isEqualTo("InProgress");
		assertThat(first.headers().firstValue("Retry-After")).contains("10");
		assertThat(TestHttp.json(second).get("status").stringValue()).isEqualTo("Succeeded");
		assertThat(TestHttp.json(second).get("endTime").stringValue()).isEqualTo(START.toString());
	}

	@Test
	void regenerateKeysWhenKeyValueGivenThenRequestedSlotTakesItInEachShape() throws Exception {
		Keys mmsBefore = this.sim.keys(WORKSPACE, KEY_SERVICE);
		Keys armBefore = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		String mmsValue = "caller-chosen-mms-key-0123456789abcdef";
		String armValue = "caller-chosen-arm-key-0123456789abcdef";

		pollUntilTerminal(
				mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\",\"keyValue\":\"" + mmsValue + "\"}").headers()
					.firstValue("Operation-Location")
					.orElseThrow());
		String location = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Secondary\",\"keyValue\":\"" + armValue + "\"}")
			.headers()
			.firstValue("Location")
			.orElseThrow();
		this.http.get(URI.create(location), this.bearer);
		this.http.get(URI.create(location), this.bearer);

		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE)).isEqualTo(new Keys(mmsValue, mmsBefore.secondaryKey()));
		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT)).isEqualTo(new Keys(armBefore.primaryKey(), armValue));
		assertThat(this.issued).contains(mmsValue, armValue);
	}

	@Test
	void regenerateKeysWhenPollsUntilDoneIsThreeThenRunningThreeTimesThenSucceeded() throws Exception {
		try (OwnSimulator slow = ownSimulator(3)) {
			Keys before = slow.sim().keys(WORKSPACE, KEY_SERVICE);
			URI location = URI
				.create(slow.regenerate(slow.http().mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"),
						"{\"keyType\":\"Primary\"}")
					.headers()
					.firstValue("Operation-Location")
					.orElseThrow());

			java.util.List<String> states = new java.util.ArrayList<>();
			for (int i = 0; i < 5; i++) {
				states.add(TestHttp.json(slow.http().get(location, slow.bearer())).get("state").stringValue());
			}

			assertThat(states).containsExactly("Running", "Running", "Running", "Succeeded", "Succeeded");
			assertThat(slow.sim().keys(WORKSPACE, KEY_SERVICE).primaryKey()).isNotEqualTo(before.primaryKey());
		}
	}

	@Test
	void regenerateKeysWhenSynchronousThenV1Answers200WithKeysAndV2Answers200WithoutBody() throws Exception {
		try (OwnSimulator sync = ownSimulator(0)) {
			Keys mmsBefore = sync.sim().keys(WORKSPACE, KEY_SERVICE);
			Keys armBefore = sync.sim().keys(WORKSPACE, KEY_ENDPOINT);

			HttpResponse<String> mms = sync.regenerate(
					sync.http().mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"),
					"{\"keyType\":\"Primary\"}");
			HttpResponse<String> arm = sync.regenerate(
					sync.http().armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"),
					"{\"keyType\":\"Secondary\"}");

			Keys mmsAfter = sync.sim().keys(WORKSPACE, KEY_SERVICE);
			assertThat(mms.statusCode()).isEqualTo(200);
			assertThat(mms.headers().firstValue("Operation-Location")).isEmpty();
			assertThat(TestHttp.json(mms).get("primaryKey").stringValue()).isEqualTo(mmsAfter.primaryKey());
			assertThat(TestHttp.json(mms).get("secondaryKey").stringValue()).isEqualTo(mmsBefore.secondaryKey());
			assertThat(mmsAfter.primaryKey()).isNotEqualTo(mmsBefore.primaryKey());
			assertThat(arm.statusCode()).isEqualTo(200);
			assertThat(arm.body()).isEmpty();
			assertThat(arm.headers().firstValue("Location")).isEmpty();
			assertThat(sync.sim().keys(WORKSPACE, KEY_ENDPOINT).primaryKey()).isEqualTo(armBefore.primaryKey());
			assertThat(sync.sim().keys(WORKSPACE, KEY_ENDPOINT).secondaryKey()).isNotEqualTo(armBefore.secondaryKey());
		}
	}

	@Test
	void asyncRegenerationWhenNegativeThenRejects() {
		assertThatIllegalArgumentException().isThrownBy(() -> SimulatedWorkspace.builder().asyncRegeneration(-1));
	}

	@Test
	void failNextRegenerationWhenV1OperationCompletesThenFailedWithErrorAndKeysUnchanged() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_SERVICE);
		this.sim.failNextRegeneration(WORKSPACE, KEY_SERVICE);

		HttpResponse<String> accepted = mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\"}");
		JsonNode failed = pollUntilTerminal(accepted.headers().firstValue("Operation-Location").orElseThrow());

		assertThat(accepted.statusCode()).isEqualTo(202);
		assertThat(failed.get("state").stringValue()).isEqualTo("Failed");
		assertThat(failed.get("endTime").isString()).isTrue();
		assertThat(failed.get("error").get("statusCode").intValue()).isEqualTo(500);
		assertThat(failed.get("error").get("message").stringValue()).contains(KEY_SERVICE);
		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE)).isEqualTo(before);
	}

	@Test
	void failNextRegenerationWhenV2LocationPolledThenAnswers500ErrorOnceAndKeysUnchanged() throws Exception {
		Keys before = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		this.sim.failNextRegeneration(WORKSPACE, KEY_ENDPOINT);

		URI failing = URI.create(armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Location")
			.orElseThrow());
		int firstPoll = this.http.get(failing, this.bearer).statusCode();
		HttpResponse<String> failed = this.http.get(failing, this.bearer);
		Keys afterFailure = this.sim.keys(WORKSPACE, KEY_ENDPOINT);
		URI next = URI.create(armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Location")
			.orElseThrow());
		this.http.get(next, this.bearer);
		int nextDone = this.http.get(next, this.bearer).statusCode();

		assertThat(firstPoll).isEqualTo(202);
		assertThat(failed.statusCode()).isEqualTo(500);
		assertThat(TestHttp.json(failed).get("error").get("code").stringValue()).isEqualTo("InternalServerError");
		assertThat(afterFailure).isEqualTo(before);
		assertThat(nextDone).isEqualTo(200);
		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT).primaryKey()).isNotEqualTo(before.primaryKey());
	}

	@Test
	void failNextRegenerationWhenSynchronousThenAnswers500AndKeysUnchanged() throws Exception {
		try (OwnSimulator sync = ownSimulator(0)) {
			Keys before = sync.sim().keys(WORKSPACE, KEY_SERVICE);
			sync.sim().failNextRegeneration(WORKSPACE, KEY_SERVICE);

			HttpResponse<String> response = sync.regenerate(
					sync.http().mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"),
					"{\"keyType\":\"Primary\"}");

			assertThat(response.statusCode()).isEqualTo(500);
			assertThat(TestHttp.json(response).get("statusCode").intValue()).isEqualTo(500);
			assertThat(sync.sim().keys(WORKSPACE, KEY_SERVICE)).isEqualTo(before);
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "not json", "[]", "{}", "{\"keyType\":0}", "{\"keyType\":\"primary\"}",
			"{\"keyType\":\"Tertiary\"}", "{\"keyType\":null}", "{\"keyType\":\"Primary\",\"keyValue\":5}",
			"{\"keyType\":\"Primary\",\"keyValue\":\"  \"}" })
	void regenerateKeysWhenBodyIsNotAKeyRequestThenAnswers400InEachShapeAndKeysUnchanged(String body) throws Exception {
		Keys mmsBefore = this.sim.keys(WORKSPACE, KEY_SERVICE);
		Keys armBefore = this.sim.keys(WORKSPACE, KEY_ENDPOINT);

		HttpResponse<String> mms = mmsRegenerate(KEY_SERVICE, body);
		HttpResponse<String> arm = armRegenerate(KEY_ENDPOINT, body);

		assertThat(mms.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(mms).get("code").stringValue()).isEqualTo("BadRequest");
		assertThat(arm.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(arm).get("error").get("code").stringValue()).isEqualTo("BadRequest");
		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE)).isEqualTo(mmsBefore);
		assertThat(this.sim.keys(WORKSPACE, KEY_ENDPOINT)).isEqualTo(armBefore);
	}

	@Test
	void operationPollWhenIdUnknownOrOfOtherApiThenAnswers404() throws Exception {
		String mmsLocation = mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Operation-Location")
			.orElseThrow();
		String mmsId = mmsLocation.substring(mmsLocation.lastIndexOf('/') + 1);
		String armLocation = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Location")
			.orElseThrow();

		HttpResponse<String> unknownMms = this.http
			.get(URI.create(mmsLocation.replace(mmsId, "00000000-0000-0000-0000-000000000000")), this.bearer);
		HttpResponse<String> mmsIdOnArm = this.http.get(
				URI.create(armLocation.replaceAll("mfeOperationResults/[^?]+", "mfeOperationResults/" + mmsId)),
				this.bearer);
		HttpResponse<String> otherRegion = this.http.get(
				URI.create(
						armLocation.replace("/locations/" + REGION + "/", "/locations/" + Fixtures.OTHER_REGION + "/")),
				this.bearer);

		assertThat(unknownMms.statusCode()).isEqualTo(404);
		assertThat(TestHttp.json(unknownMms).get("statusCode").intValue()).isEqualTo(404);
		assertThat(mmsIdOnArm.statusCode()).isEqualTo(404);
		assertThat(otherRegion.statusCode()).isEqualTo(404);
	}

	@Test
	void operationPollWhenBearerMissingOrPrincipalHasNoRoleThenAnswers401Or403() throws Exception {
		String mmsLocation = mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Operation-Location")
			.orElseThrow();
		String armLocation = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Location")
			.orElseThrow();
		String noRole = this.http.entraToken(NO_ROLE_CLIENT, NO_ROLE_SECRET);
		Keys before = this.sim.keys(WORKSPACE, KEY_SERVICE);

		assertThat(this.http.get(URI.create(mmsLocation), null).statusCode()).isEqualTo(401);
		assertThat(this.http.get(URI.create(armLocation), null).statusCode()).isEqualTo(401);
		assertThat(this.http.get(URI.create(mmsLocation), noRole).statusCode()).isEqualTo(403);
		assertThat(this.http.get(URI.create(armLocation), noRole).statusCode()).isEqualTo(403);
		assertThat(this.http.get(URI.create(armLocation.replaceAll("\\?.*$", "")), this.bearer).statusCode())
			.isEqualTo(400);
		assertThat(this.sim.keys(WORKSPACE, KEY_SERVICE)).isEqualTo(before);
	}

	@Test
	void callCountWhenRegeneratingAndPollingThenCountsEachOperation() throws Exception {
		pollUntilTerminal(mmsRegenerate(KEY_SERVICE, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Operation-Location")
			.orElseThrow());
		String location = armRegenerate(KEY_ENDPOINT, "{\"keyType\":\"Primary\"}").headers()
			.firstValue("Location")
			.orElseThrow();
		this.http.get(URI.create(location), this.bearer);
		this.http.get(URI.create(location), this.bearer);
		this.http.get(URI.create(location), this.bearer);

		assertThat(this.sim.callCount(REGION, Operation.MMS_REGENERATE_KEYS)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.MMS_GET_OPERATION)).isEqualTo(2);
		assertThat(this.sim.callCount(REGION, Operation.ARM_REGENERATE_KEYS)).isEqualTo(1);
		assertThat(this.sim.callCount(REGION, Operation.ARM_GET_OPERATION)).isEqualTo(3);
	}

	/**
	 * @return a simulator of the test's own, whose regenerations complete after
	 * {@code asyncRegeneration} polls, and a client signed in to it
	 */
	private OwnSimulator ownSimulator(int asyncRegeneration) throws Exception {
		SimulatedWorkspace sim = Fixtures
			.standard(this.clock, SelfSignedCertificate.forClient(CERT_CLIENT), (secret) -> {
			})
			.asyncRegeneration(asyncRegeneration)
			.start();
		try {
			TestHttp http = new TestHttp(sim);
			return new OwnSimulator(sim, http, http.entraToken(SECRET_CLIENT, SECRET));
		}
		catch (Exception | AssertionError ex) {
			sim.close();
			throw ex;
		}
	}

	private HttpResponse<String> mmsRegenerate(String service, String body) throws Exception {
		return this.http.postJson(this.http.mmsAction(REGION, WORKSPACE, service, "regenerateKeys"), this.bearer, body);
	}

	private HttpResponse<String> armRegenerate(String endpoint, String body) throws Exception {
		return this.http.postJson(this.http.armAction(REGION, WORKSPACE, endpoint, "regenerateKeys"), this.bearer,
				body);
	}

	private JsonNode pollUntilTerminal(String location) throws Exception {
		for (int i = 0; i < 10; i++) {
			JsonNode status = TestHttp.json(this.http.get(URI.create(location), this.bearer));
			if (!"Running".equals(status.get("state").stringValue())) {
				return status;
			}
		}
		throw new AssertionError("operation did not finish");
	}

	private record OwnSimulator(SimulatedWorkspace sim, TestHttp http, String bearer) implements AutoCloseable {

		HttpResponse<String> regenerate(URI action, String body) throws Exception {
			return this.http.postJson(action, this.bearer, body);
		}

		@Override
		public void close() {
			this.sim.close();
		}

	}

}
