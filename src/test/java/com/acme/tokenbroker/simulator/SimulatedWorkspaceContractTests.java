package com.acme.tokenbroker.simulator;

import com.acme.tokenbroker.support.MutableClock;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import com.acme.tokenbroker.contract.ContractValidator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
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
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulatedWorkspaceContractTests {

	private static final String ONLINE_ENDPOINT_EXAMPLES = "resource-manager/Microsoft.MachineLearningServices/stable/"
			+ "2025-06-01/examples/Workspace/OnlineEndpoint/";

	private final ContractValidator contracts = ContractValidator.load();

	private SimulatedWorkspace sim;

	private TestHttp http;

	private String bearer;

	@BeforeAll
	void startSimulator() throws Exception {
		this.sim = Fixtures.standard(MutableClock.startingNow(), SelfSignedCertificate.forClient(CERT_CLIENT),
				(secret) -> {
				})
			.start();
		this.http = new TestHttp(this.sim);
		this.bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
	}

	@AfterAll
	void closeSimulator() {
		this.sim.close();
	}

	@BeforeEach
	void reset() {
		this.sim.clearRecording();
	}

	@AfterEach
	void clearFaults() {
		this.sim.faults(REGION).clear();
	}

	@Test
	void mmsTokenWhenIssuedThenConformsToAuthToken201() throws Exception {
		this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), this.bearer);

		RecordedExchange exchange = only(Operation.MMS_TOKEN);
		ContractValidator.Result response = validateResponse(exchange);
		assertThat(response.operationId()).isEqualTo("Services_GetServiceToken");
		assertThat(response.errors()).isEmpty();
		assertThat(exchange.status()).isEqualTo(201);
		assertThat(validateRequest(exchange).errors()).isEmpty();
	}

	@Test
	void mmsGetServiceWhenFoundThenConformsToAksServiceResponse() throws Exception {
		this.http.get(this.http.mmsService(REGION, WORKSPACE, SERVICE), this.bearer);

		RecordedExchange exchange = only(Operation.MMS_GET_SERVICE);
		ContractValidator.Result response = validateResponse(exchange);
		assertThat(response.operationId()).isEqualTo("Services_QueryById");
		assertThat(response.errors()).isEmpty();
		assertThat(this.contracts.validateDefinition("AKSServiceResponse", exchange.responseBody()).errors())
			.isEmpty();
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
		for (RecordedExchange exchange : exchanges) {
			assertThat(validateResponse(exchange).errors()).as(exchange.toString()).isEmpty();
			assertThat(this.contracts.validateDefinition("ModelErrorResponse", exchange.responseBody()).errors())
				.isEmpty();
		}
	}

	@Test
	void armTokenWhenIssuedThenConformsToEndpointAuthToken200() throws Exception {
		this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);

		RecordedExchange exchange = only(Operation.ARM_TOKEN);
		ContractValidator.Result response = validateResponse(exchange);
		assertThat(response.operationId()).isEqualTo("OnlineEndpoints_GetToken");
		assertThat(response.errors()).isEmpty();
		ContractValidator.Result request = validateRequest(exchange);
		assertThat(request.errors()).isEmpty();
		assertThat(request.skipped()).isEmpty();
	}

	@Test
	void armTokenRequestWhenApiVersionMissingThenContractFlagsItAndSimulatorAnswers400() throws Exception {
		HttpResponse<String> response = this.http
			.post(this.http.armTokenWithoutApiVersion(REGION, WORKSPACE, ENDPOINT), this.bearer);

		RecordedExchange exchange = only(Operation.ARM_TOKEN);
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(validateRequest(exchange).errors()).containsExactly("Required query parameter 'api-version' is missing");
		ContractValidator.Result error = validateResponse(exchange);
		assertThat(error.errors()).isEmpty();
		assertThat(error.skipped()).anyMatch((skip) -> skip.contains("ErrorResponse"));
	}

	@Test
	void armGetEndpointWhenFoundThenHasEveryMemberOfTheContractExample() throws Exception {
		HttpResponse<String> response = this.http.get(this.http.armEndpoint(REGION, WORKSPACE, ENDPOINT), this.bearer);
		JsonNode example = TestHttp.JSON
			.readTree(Files.readString(this.contracts.directory().resolve(ONLINE_ENDPOINT_EXAMPLES + "get.json")))
			.get("responses")
			.get("200")
			.get("body");

		JsonNode actual = TestHttp.json(response);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(actual.propertyNames()).containsAll(example.propertyNames().stream()
			.filter((name) -> !name.equals("sku"))
			.toList());
		assertThat(actual.get("properties").propertyNames()).containsAll(example.get("properties").propertyNames()
			.stream()
			.filter((name) -> !name.equals("compute"))
			.toList());
		assertThat(this.contracts.validateDefinition("EndpointAuthMode",
				actual.get("properties").get("authMode").toString()).errors()).isEmpty();
	}

	@Test
	void armTokenWhenComparedWithContractExampleThenHasSameMembers() throws Exception {
		HttpResponse<String> response = this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), this.bearer);
		JsonNode example = TestHttp.JSON
			.readTree(Files.readString(this.contracts.directory().resolve(ONLINE_ENDPOINT_EXAMPLES + "getToken.json")))
			.get("responses")
			.get("200")
			.get("body");

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
