package com.acme.tokenbroker.simulator;

import com.acme.tokenbroker.support.MutableClock;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import com.acme.tokenbroker.contract.ContractValidator;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.AAD_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the simulator puts on the wire conforms to the shared Swagger contracts.
 */
class SimulatedWorkspaceContractTests extends AbstractStandardWorkspaceTests {

	private static final String ONLINE_ENDPOINT_EXAMPLES = "resource-manager/Microsoft.MachineLearningServices/stable/"
			+ "2025-06-01/examples/Workspace/OnlineEndpoint/";

	private final ContractValidator contracts = ContractValidator.load();

	@Test
	void mmsTokenWhenIssuedThenConformsToAuthToken201() throws Exception {
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);

		RecordedExchange exchange = only(Operation.MMS_TOKEN);
		assertConformingResponse(exchange, "Services_GetServiceToken");
		assertThat(exchange.status()).isEqualTo(201);
		assertThat(validateRequest(exchange).errors()).isEmpty();
	}

	@Test
	void mmsGetServiceWhenFoundThenConformsToAksServiceResponse() throws Exception {
		this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer);

		RecordedExchange exchange = only(Operation.MMS_GET_SERVICE);
		assertConformingResponse(exchange, "Services_QueryById");
		assertThat(this.contracts.validateDefinition("AKSServiceResponse", exchange.responseBody()).errors()).isEmpty();
	}

	@Test
	void mmsErrorsWhenAnsweredThenConformToModelErrorResponse() throws Exception {
		String noRole = this.http.entraToken(NO_ROLE_CLIENT, NO_ROLE_SECRET);
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, "unknown-service"), this.bearer);
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), null);
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), noRole);
		this.sim.faults(REGION).set(Fault.throttled(Duration.ofSeconds(5)));
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);

		List<RecordedExchange> exchanges = regionExchanges();
		assertThat(exchanges).extracting(RecordedExchange::status).containsExactly(404, 401, 403, 429);
		assertConformToModelErrorResponse(exchanges);
	}

	@Test
	void armTokenWhenIssuedThenConformsToEndpointAuthToken200() throws Exception {
		this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		RecordedExchange exchange = only(Operation.ARM_TOKEN);
		assertConformingResponse(exchange, "OnlineEndpoints_GetToken");
		ContractValidator.Result request = validateRequest(exchange);
		assertThat(request.errors()).isEmpty();
		assertThat(request.skipped()).isEmpty();
	}

	@Test
	void armTokenRequestWhenApiVersionMissingThenContractFlagsItAndSimulatorAnswers400() throws Exception {
		HttpResponse<String> response = this.http.post(this.http.armTokenWithoutApiVersion(REGION, WORKSPACE, ENDPOINT),
				this.bearer);

		RecordedExchange exchange = only(Operation.ARM_TOKEN);
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(validateRequest(exchange).errors())
			.containsExactly("Required query parameter 'api-version' is missing");
		ContractValidator.Result error = validateResponse(exchange);
		assertThat(error.errors()).isEmpty();
		assertThat(error.skipped()).anyMatch((skip) -> skip.contains("ErrorResponse"));
	}

	@Test
	void armGetEndpointWhenFoundThenHasEveryMemberOfTheContractExample() throws Exception {
		HttpResponse<String> response = this.http.get(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), this.bearer);
		JsonNode example = example("get.json").get("responses").get("200").get("body");

		JsonNode actual = TestHttp.json(response);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(actual.propertyNames())
			.containsAll(example.propertyNames().stream().filter((name) -> !name.equals("sku")).toList());
		assertThat(actual.get("properties").propertyNames()).containsAll(
				example.get("properties").propertyNames().stream().filter((name) -> !name.equals("compute")).toList());
		assertThat(this.contracts
			.validateDefinition("EndpointAuthMode", actual.get("properties").get("authMode").toString())
			.errors()).isEmpty();
	}

	@Test
	void armTokenWhenComparedWithContractExampleThenHasSameMembers() throws Exception {
		HttpResponse<String> response = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		JsonNode example = example("getToken.json").get("responses").get("200").get("body");

		assertThat(TestHttp.json(response).propertyNames())
			.containsExactlyInAnyOrderElementsOf(example.propertyNames());
	}

	@Test
	void faultAnswersWhenMalformedOrMissingFieldsThenContractCatchesOnlyTheMalformedOne() throws Exception {
		this.sim.faults(REGION).set(Fault.malformed());
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		this.sim.faults(REGION).set(Fault.missingFields());
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);

		List<RecordedExchange> exchanges = regionExchanges();
		// AuthToken declares no required members, so a missing expiryOn is still "valid":
		// the broker must check for it itself.
		assertThat(validateResponse(exchanges.get(0)).errors()).containsExactly("Body is not JSON");
		assertThat(validateResponse(exchanges.get(1)).errors()).isEmpty();
	}

	@Test
	void everyRecordedMmsAndArmExchangeWhenHappyPathThenConforms() throws Exception {
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);
		this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer);
		this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		this.http.get(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), this.bearer);

		List<RecordedExchange> declared = regionExchanges().stream()
			.filter((exchange) -> this.contracts.operationId(exchange.method(), exchange.path()) != null)
			.toList();

		assertThat(declared).extracting(RecordedExchange::operation)
			.containsExactly(Operation.MMS_TOKEN, Operation.MMS_GET_SERVICE, Operation.ARM_TOKEN);
		for (RecordedExchange exchange : declared) {
			assertThat(validateResponse(exchange).errors()).as(exchange.toString()).isEmpty();
			assertThat(validateRequest(exchange).errors()).as(exchange.toString()).isEmpty();
		}
	}

	@Test
	void mmsGetServiceWhenEachModeThenConformsToAksServiceResponse() throws Exception {
		this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer);
		this.http.get(this.http.mmsService(REGION, WORKSPACE, KEY_SERVICE), this.bearer);

		List<RecordedExchange> exchanges = regionExchanges();
		assertThat(exchanges).hasSize(2);
		for (RecordedExchange exchange : exchanges) {
			ContractValidator.Result response = validateResponse(exchange);
			assertThat(response.operationId()).isEqualTo("Services_QueryById");
			assertThat(response.errors()).as(exchange.path()).isEmpty();
			assertThat(this.contracts.validateDefinition("AKSServiceResponse", exchange.responseBody()).errors())
				.isEmpty();
		}
		assertThat(TestHttp.JSON.readTree(exchanges.get(0).responseBody()).get("aadAuthEnabled").booleanValue())
			.isTrue();
		assertThat(TestHttp.JSON.readTree(exchanges.get(1).responseBody()).get("authEnabled").booleanValue()).isTrue();
	}

	@Test
	void mmsListKeysWhenKeyModeThenConformsToAuthKeys200() throws Exception {
		this.http.post(this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "listkeys"), this.bearer);

		RecordedExchange exchange = only(Operation.MMS_LIST_KEYS);
		assertConformingResponse(exchange, "Services_ListServiceKeys");
		assertThat(exchange.status()).isEqualTo(200);
		assertThat(this.contracts.validateDefinition("AuthKeys", exchange.responseBody()).errors()).isEmpty();
		assertThat(TestHttp.JSON.readTree(exchange.responseBody()).propertyNames())
			.containsExactlyInAnyOrder("primaryKey", "secondaryKey");
		assertThat(validateRequest(exchange).errors()).isEmpty();
	}

	@Test
	void mmsKeyAndTokenCallsWhenWrongModeThenAnswer400ModelErrorResponse() throws Exception {
		this.http.post(this.http.mmsAction(REGION, WORKSPACE, SERVICE, "listkeys"), this.bearer);
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, KEY_SERVICE), this.bearer);

		List<RecordedExchange> exchanges = regionExchanges();
		assertThat(exchanges).extracting(RecordedExchange::status).containsExactly(400, 400);
		assertConformToModelErrorResponse(exchanges);
	}

	@Test
	void mmsRegenerateKeysWhenAsyncThenRequest202AndOperationPollsConform() throws Exception {
		HttpResponse<String> accepted = this.http.postJson(
				this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"), this.bearer,
				"{\"keyType\":\"Secondary\"}");
		URI location = URI.create(accepted.headers().firstValue("Operation-Location").orElseThrow());
		this.http.get(location, this.bearer);
		this.http.get(location, this.bearer);

		RecordedExchange regenerate = only(Operation.MMS_REGENERATE_KEYS);
		ContractValidator.Result request = validateRequest(regenerate);
		assertThat(request.operationId()).isEqualTo("Services_RegenerateServiceKeys");
		assertThat(request.errors()).isEmpty();
		assertThat(regenerate.requestContentType()).startsWith("application/json");
		assertThat(regenerate.status()).isEqualTo(202);
		assertThat(validateResponse(regenerate).errors()).isEmpty();
		assertThat(regenerate.responseHeader("Operation-Location")).isEqualTo(location.toString());
		assertThat(this.contracts.operationId("GET", location.getPath())).isEqualTo("Operations_Get");
		List<RecordedExchange> polls = regionExchanges().stream()
			.filter((exchange) -> exchange.operation() == Operation.MMS_GET_OPERATION)
			.toList();
		assertThat(polls)
			.extracting((exchange) -> TestHttp.JSON.readTree(exchange.responseBody()).get("state").stringValue())
			.containsExactly("Running", "Succeeded");
		for (RecordedExchange poll : polls) {
			assertThat(validateResponse(poll).errors()).as(poll.responseBody()).isEmpty();
			assertThat(validateRequest(poll).errors()).isEmpty();
			assertThat(this.contracts.validateDefinition("AsyncOperationStatus", poll.responseBody()).errors())
				.isEmpty();
		}
	}

	@Test
	void mmsOperationWhenFailedThenConformsToAsyncOperationStatusWithError() throws Exception {
		this.sim.failNextRegeneration(WORKSPACE, KEY_SERVICE);
		URI location = URI.create(this.http
			.postJson(this.http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"), this.bearer,
					"{\"keyType\":\"Primary\",\"keyValue\":\"chosen-by-the-caller-0123456789abcdef\"}")
			.headers()
			.firstValue("Operation-Location")
			.orElseThrow());
		this.http.get(location, this.bearer);
		this.http.get(location, this.bearer);

		RecordedExchange failed = regionExchanges().get(2);
		assertThat(validateRequest(only(Operation.MMS_REGENERATE_KEYS)).errors()).isEmpty();
		assertThat(TestHttp.JSON.readTree(failed.responseBody()).get("state").stringValue()).isEqualTo("Failed");
		assertThat(validateResponse(failed).errors()).isEmpty();
		assertThat(this.contracts
			.validateDefinition("ModelErrorResponse",
					TestHttp.JSON.readTree(failed.responseBody()).get("error").toString())
			.errors()).isEmpty();
	}

	@Test
	void mmsRegenerateKeysWhenSynchronousThenAnswers200ConformingToAuthKeys() throws Exception {
		RecordedExchange exchange = regenerateSynchronously(
				(syncHttp) -> syncHttp.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"),
				"{\"keyType\":\"Primary\"}", Operation.MMS_REGENERATE_KEYS);

		assertThat(exchange.status()).isEqualTo(200);
		assertThat(validateResponse(exchange).errors()).isEmpty();
		assertThat(this.contracts.validateDefinition("AuthKeys", exchange.responseBody()).errors()).isEmpty();
	}

	@Test
	void armListKeysWhenKeyModeThenConformsToEndpointAuthKeysAndExample() throws Exception {
		HttpResponse<String> response = this.http.post(this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "listKeys"),
				this.bearer);
		JsonNode example = example("listKeys.json").get("responses").get("200").get("body");

		RecordedExchange exchange = only(Operation.ARM_LIST_KEYS);
		assertConformingResponse(exchange, "OnlineEndpoints_ListKeys");
		assertThat(this.contracts.validateDefinition("EndpointAuthKeys", exchange.responseBody()).errors()).isEmpty();
		assertThat(TestHttp.json(response).propertyNames())
			.containsExactlyInAnyOrderElementsOf(example.propertyNames());
		ContractValidator.Result request = validateRequest(exchange);
		assertThat(request.errors()).isEmpty();
		assertThat(request.skipped()).isEmpty();
	}

	@Test
	void armRegenerateKeysWhenAsyncThenRequestAnd202HeadersConformAndMatchExample() throws Exception {
		JsonNode example = example("regenerateKeys.json");
		String body = example.get("parameters").get("body").toString();

		this.http.postJson(this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"), this.bearer, body);

		RecordedExchange exchange = only(Operation.ARM_REGENERATE_KEYS);
		assertConformingRequest(exchange, "OnlineEndpoints_RegenerateKeys");
		assertThat(exchange.status()).isEqualTo(202);
		assertThat(validateResponse(exchange).errors()).isEmpty();
		ContractValidator.Result headers = this.contracts.validateResponseHeaders(exchange.method(), exchange.path(),
				exchange.status(), exchange.responseHeaders());
		assertThat(headers.errors()).isEmpty();
		for (String name : example.get("responses").get("202").get("headers").propertyNames()) {
			assertThat(exchange.responseHeader(name)).as(name)
				.startsWith(this.sim.regionEndpoint(REGION) + "/subscriptions/");
		}
		assertThat(exchange.responseBodyLength()).isZero();
	}

	@Test
	void armRegenerateKeysWhenSynchronousThenAnswers200WithoutBodyAsDeclared() throws Exception {
		RecordedExchange exchange = regenerateSynchronously(
				(syncHttp) -> syncHttp.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"),
				"{\"keyType\":\"Secondary\"}", Operation.ARM_REGENERATE_KEYS);

		ContractValidator.Result response = validateResponse(exchange);
		assertThat(exchange.status()).isEqualTo(200);
		assertThat(exchange.responseBody()).isEmpty();
		assertThat(response.errors()).isEmpty();
		assertThat(response.skipped()).isEmpty();
	}

	@Test
	void armKeyCallsWhenWrongModeOrBadBodyThenAnswer400WithArmErrorShape() throws Exception {
		this.http.post(this.http.armAction(REGION, WORKSPACE, ENDPOINT, "listKeys"), this.bearer);
		this.http.postJson(this.http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"), this.bearer,
				"{\"keyValue\":\"k\"}");

		List<RecordedExchange> exchanges = regionExchanges();
		assertThat(exchanges).extracting(RecordedExchange::status).containsExactly(400, 400);
		assertThat(validateRequest(exchanges.get(1)).errors())
			.containsExactly("$: required property 'keyType' is missing");
		for (RecordedExchange exchange : exchanges) {
			JsonNode error = TestHttp.JSON.readTree(exchange.responseBody()).get("error");
			assertThat(error.get("code").isString()).isTrue();
			assertThat(error.get("message").isString()).isTrue();
			assertThat(validateResponse(exchange).errors()).isEmpty();
		}
	}

	@Test
	void armGetEndpointWhenEachModeThenAuthModeIsAnEndpointAuthMode() throws Exception {
		for (String endpoint : List.of(ENDPOINT, KEY_ENDPOINT, AAD_ENDPOINT)) {
			JsonNode properties = TestHttp
				.json(this.http.get(this.http.armEndpoint(REGION, WORKSPACE, endpoint), this.bearer))
				.get("properties");

			assertThat(this.contracts.validateDefinition("EndpointAuthMode", properties.get("authMode").toString())
				.errors()).as(endpoint).isEmpty();
		}
		assertThat(regionExchanges())
			.extracting((exchange) -> TestHttp.JSON.readTree(exchange.responseBody())
				.get("properties")
				.get("authMode")
				.stringValue())
			.containsExactly("AMLToken", "Key", "AADToken");
	}

	/**
	 * Regenerate keys on a simulator of its own that regenerates synchronously, and
	 * return the recorded regeneration.
	 */
	private RecordedExchange regenerateSynchronously(Function<TestHttp, URI> action, String body, Operation operation)
			throws Exception {
		try (SimulatedWorkspace sync = Fixtures
			.standard(MutableClock.startingNow(), SelfSignedCertificate.forClient(CERT_CLIENT), (secret) -> {
			})
			.asyncRegeneration(0)
			.start()) {
			TestHttp syncHttp = new TestHttp(sync);
			syncHttp.postJson(action.apply(syncHttp), syncHttp.entraToken(SECRET_CLIENT, SECRET), body);
			return sync.exchanges()
				.stream()
				.filter((candidate) -> candidate.operation() == operation)
				.findFirst()
				.orElseThrow();
		}
	}

	/**
	 * Assert that the recorded response is the declared answer of that operation.
	 */
	private void assertConformingResponse(RecordedExchange exchange, String operationId) {
		ContractValidator.Result response = validateResponse(exchange);
		assertThat(response.operationId()).isEqualTo(operationId);
		assertThat(response.errors()).isEmpty();
	}

	/**
	 * Assert that the recorded request is a valid call of that operation.
	 */
	private void assertConformingRequest(RecordedExchange exchange, String operationId) {
		ContractValidator.Result request = validateRequest(exchange);
		assertThat(request.operationId()).isEqualTo(operationId);
		assertThat(request.errors()).isEmpty();
	}

	private void assertConformToModelErrorResponse(List<RecordedExchange> exchanges) {
		for (RecordedExchange exchange : exchanges) {
			assertThat(validateResponse(exchange).errors()).as(exchange.toString()).isEmpty();
			assertThat(this.contracts.validateDefinition("ModelErrorResponse", exchange.responseBody()).errors())
				.isEmpty();
		}
	}

	private JsonNode example(String name) throws java.io.IOException {
		return TestHttp.JSON
			.readTree(Files.readString(this.contracts.directory().resolve(ONLINE_ENDPOINT_EXAMPLES + name)));
	}

	private ContractValidator.Result validateResponse(RecordedExchange exchange) {
		return this.contracts.validateResponse(exchange.method(), exchange.path(), exchange.status(),
				exchange.responseBody());
	}

	private ContractValidator.Result validateRequest(RecordedExchange exchange) {
		return this.contracts.validateRequest(exchange.method(), exchange.path(), exchange.query(),
				exchange.requestBody());
	}

	private RecordedExchange only(Operation operation) {
		List<RecordedExchange> matching = this.sim.exchanges()
			.stream()
			.filter((exchange) -> exchange.operation() == operation)
			.toList();
		assertThat(matching).hasSize(1);
		return matching.get(0);
	}

	private List<RecordedExchange> regionExchanges() {
		return this.sim.exchanges().stream().filter((exchange) -> REGION.equals(exchange.listener())).toList();
	}

}
