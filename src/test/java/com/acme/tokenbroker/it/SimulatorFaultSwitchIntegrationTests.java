package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator's fault switch over HTTP ({@code /simulator/regions/{region}/fault}, the
 * README's "Try an outage"): the six faults a caller may switch, their parameters, and
 * the problems for anything else. Its absence while the simulator is off is in
 * {@link SimulatorDisabledIntegrationTests}, the outage it drives in
 * {@link SimulatorOutageWalkthroughIntegrationTests}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.warm-up=false" })
@ActiveProfiles("simulator")
class SimulatorFaultSwitchIntegrationTests {

	private static final HttpClient CLIENT = HttpClient.newHttpClient();

	@LocalServerPort
	int port;

	@Autowired
	SimulatedWorkspace simulator;

	Http api;

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
	}

	@AfterEach
	void clearFaults() {
		this.simulator.regions().forEach((region) -> this.simulator.faults(region).clear());
	}

	/** As {@code curl -d <form> …}: a form-encoded POST. */
	private Http.Response postForm(String path, String form) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(20))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form))
			.build();
		try {
			HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
			return new Http.Response(response.statusCode(), response.headers().map(), response.body());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static void assertProblem(Http.Response response, int status, String type, String detailPart) {
		assertThat(response.status()).as(response.body()).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		JsonNode problem = response.json();
		assertThat(problem.get("type").stringValue()).isEqualTo("urn:token-broker:problem:" + type);
		assertThat(problem.get("status").intValue()).isEqualTo(status);
		assertThat(problem.get("detail").stringValue()).contains(detailPart);
	}

	@Test
	void eachOfTheSixFaultsIsPutInForceAndAnsweredAsTheRegionsNewState() {
		record Case(String form, Fault expected, String answer) {
		}
		List<Case> cases = List.of(
				new Case("fault=down", Fault.down(), "{\"region\":\"westeurope\",\"fault\":\"down\"}"),
				new Case("fault=hang", Fault.hang(), "{\"region\":\"westeurope\",\"fault\":\"hang\"}"),
				new Case("fault=slow", Fault.slow(Duration.ofSeconds(5)),
						"{\"region\":\"westeurope\",\"fault\":\"slow\",\"delaySeconds\":5}"),
				new Case("fault=slow&delaySeconds=12", Fault.slow(Duration.ofSeconds(12)),
						"{\"region\":\"westeurope\",\"fault\":\"slow\",\"delaySeconds\":12}"),
				new Case("fault=throttled", Fault.throttled(Duration.ofSeconds(30)),
						"{\"region\":\"westeurope\",\"fault\":\"throttled\",\"retryAfterSeconds\":30}"),
				new Case("fault=throttled&retryAfterSeconds=90", Fault.throttled(Duration.ofSeconds(90)),
						"{\"region\":\"westeurope\",\"fault\":\"throttled\",\"retryAfterSeconds\":90}"),
				new Case("fault=error", Fault.error(503),
						"{\"region\":\"westeurope\",\"fault\":\"error\",\"status\":503}"),
				new Case("fault=error&status=500", Fault.error(500),
						"{\"region\":\"westeurope\",\"fault\":\"error\",\"status\":500}"),
				new Case("fault=none", Fault.none(), "{\"region\":\"westeurope\",\"fault\":\"none\"}"));

		for (Case each : cases) {
			Http.Response switched = postForm("/simulator/regions/westeurope/fault", each.form());
			Http.Response read = this.api.get("/simulator/regions/westeurope/fault", null);

			assertThat(switched.status()).as(each.form()).isEqualTo(200);
			assertThat(switched.header("Content-Type")).startsWith("application/json");
			assertThat(switched.header("Cache-Control")).isEqualTo("no-store");
			assertThat(switched.body()).as(each.form()).isEqualTo(each.answer());
			assertThat(this.simulator.faults("westeurope").current()).as(each.form()).isEqualTo(each.expected());
			assertThat(read.status()).isEqualTo(200);
			assertThat(read.body()).isEqualTo(each.answer());
			assertThat(this.simulator.faults("eastus").current()).as("the other region").isEqualTo(Fault.none());
		}
	}

	@Test
	void theFaultMayAlsoBeAQueryParameter() {
		Http.Response switched = this.api.post("/simulator/regions/eastus/fault?fault=down");

		assertThat(switched.status()).isEqualTo(200);
		assertThat(this.simulator.faults("eastus").current()).isEqualTo(Fault.down());
	}

	@Test
	void theRegionsListingShowsEveryRegionsFault() {
		this.simulator.faults("westeurope").set(Fault.throttled(Duration.ofSeconds(45)));

		Http.Response regions = this.api.get("/simulator/regions", null);

		assertThat(regions.status()).isEqualTo(200);
		assertThat(regions.body()).isEqualTo("{\"regions\":[{\"region\":\"eastus\",\"fault\":\"none\"},"
				+ "{\"region\":\"westeurope\",\"fault\":\"throttled\",\"retryAfterSeconds\":45}]}");
	}

	@Test
	void anyOtherFaultIsABadRequestThatChangesNothing() {
		this.simulator.faults("westeurope").set(Fault.hang());
		for (String form : List.of("", "fault=", "fault=DOWN", "fault=Down", "fault=malformed", "fault=expired",
				"fault=oversized", "fault=missing_fields", "fault=up", "fault=down%00", "fault=%20none")) {
			assertProblem(postForm("/simulator/regions/westeurope/fault", form), 400, "invalid-request",
					"fault must be one of down, hang, slow, throttled, error, none");
		}
		assertThat(this.simulator.faults("westeurope").current()).isEqualTo(Fault.hang());
	}

	@Test
	void badParametersOfAFaultAreBadRequestsThatChangeNothing() {
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=slow&delaySeconds=-1"), 400,
				"invalid-request", "delaySeconds must be whole seconds from 0 to 300");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=slow&delaySeconds=301"), 400,
				"invalid-request", "delaySeconds must be whole seconds from 0 to 300");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=slow&delaySeconds=1.5"), 400,
				"invalid-request", "delaySeconds must be whole seconds");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=throttled&retryAfterSeconds=x"), 400,
				"invalid-request", "retryAfterSeconds must be whole seconds from 0 to 3600");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=error&status=200"), 400, "invalid-request",
				"status must be an HTTP status from 400 to 599");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=error&status=600"), 400, "invalid-request",
				"status must be an HTTP status from 400 to 599");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=down&status=500"), 400, "invalid-request",
				"status goes with fault=error only");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=error&delaySeconds=3"), 400,
				"invalid-request", "delaySeconds goes with fault=slow only");
		assertProblem(postForm("/simulator/regions/westeurope/fault", "fault=none&retryAfterSeconds=3"), 400,
				"invalid-request", "retryAfterSeconds goes with fault=throttled only");
		assertThat(this.simulator.faults("westeurope").current()).isEqualTo(Fault.none());
	}

	@Test
	void anUnknownRegionIsNotFoundAndTheAnswerDoesNotRepeatIt() {
		for (Http.Response response : List.of(postForm("/simulator/regions/northpole/fault", "fault=down"),
				this.api.get("/simulator/regions/northpole/fault", null),
				postForm("/simulator/regions/WestEurope/fault", "fault=down"))) {
			assertProblem(response, 404, "not-found", "its regions are eastus, westeurope");
			assertThat(response.json().get("detail").stringValue()).doesNotContain("northpole")
				.doesNotContain("WestEurope");
		}
		assertThat(this.simulator.faults("westeurope").current()).isEqualTo(Fault.none());
	}

	@Test
	void otherMethodsAreNotAllowed() {
		Http.Response delete = send("DELETE", "/simulator/regions/westeurope/fault");
		Http.Response postRegions = this.api.post("/simulator/regions");
		Http.Response options = send("OPTIONS", "/simulator/regions/westeurope/fault");

		assertProblem(delete, 405, "method-not-allowed", "");
		assertProblem(postRegions, 405, "method-not-allowed", "");
		assertThat(options.status()).isEqualTo(200);
		assertThat(options.header("Allow")).contains("GET").contains("POST");
	}

	@Test
	void theSwitchOpensNoPathToTokens() {
		this.api.post("/simulator/regions/westeurope/fault?fault=none");

		Http.Response token = this.api.get("/tokens/fraud-scoring", null);

		assertThat(token.status()).isEqualTo(401);
		assertThat(token.body()).doesNotContain("accessToken");
	}

	private Http.Response send(String method, String path) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(20))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.build();
		try {
			HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
			return new Http.Response(response.statusCode(), response.headers().map(), response.body());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
