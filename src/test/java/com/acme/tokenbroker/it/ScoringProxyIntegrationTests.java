package com.acme.tokenbroker.it;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.FastPolls;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.catalina.connector.Connector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, item 1: the injecting proxy, {@code /services/{service}/**}. A caller sends
 * its scoring request to the broker, authorized as for {@code GET /tokens/{service}}; the
 * broker forwards it to the service's scoring URI with the served credential (a workspace
 * token or a key), never the caller's, and streams the answer back. A credential refused
 * by the service (a key regenerated outside the broker) is replaced once and a small
 * request sent again; the scoring endpoint's failures are 502 and 504 problems, a body
 * over the limit a 413.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true,
		properties = { "broker.proxy.replay-buffer=16KB", "broker.proxy.max-body-size=512KB",
				"broker.proxy.request-deadline=2s" })
@ExtendWith(OutputCaptureExtension.class)
@Import(FastPolls.class)
class ScoringProxyIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("key-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.KEY)
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.AML_TOKEN)
		.add("key-regen", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-big", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-held", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-faults", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));

	static final Duration PAST_MIN_REFRESH_INTERVAL = Duration.ofSeconds(31);

	static final String REGION = "westeurope";

	static final JsonMapper JSON = JsonMapper.builder().build();

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.access.rules[1].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[1].subjects[0]", () -> "fraud-app");
		registry.add("broker.access.rules[1].services[0]", () -> "tok-v1");
	}

	@LocalServerPort
	int port;

	@Autowired
	Http api;

	@Autowired
	RawHttp raw;

	@Autowired
	ServiceKeysClient keys;

	@Autowired
	WebServerApplicationContext context;

	/**
	 * Tomcat reads a request body from the socket at most its read buffer at a time (8 KB
	 * by default), each read a trip through its layers and, when the next part has not
	 * arrived yet, through its poller: a large body forwarded by the proxy paid for that
	 * in latency (bench/README.md). The API connector reads 16 KB at a time.
	 */
	@Test
	void theApiConnectorReadsRequestBodiesSixteenKilobytesAtATime() {
		Connector connector = ((TomcatWebServer) this.context.getWebServer()).getTomcat().getConnector();

		assertThat(String.valueOf(connector.getProperty("socket.appReadBufSize"))).isEqualTo("16384");
	}

	@Autowired
	ServiceCatalog catalog;

	@Autowired
	MeterRegistry meters;

	final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	final HttpClient scoringClient = HttpClient.newBuilder().sslContext(SIMULATOR.clientSslContext()).build();

	@ParameterizedTest
	@ValueSource(strings = { "tok-v1", "key-v1", "key-v2" })
	void aScoringRequestIsForwardedWithTheServedCredentialAndAnsweredAsIs(String service, CapturedOutput output)
			throws Exception {
		byte[] body = "{\"data\":[[1,2,3]]}".getBytes();
		JsonNode credential = credential(service);
		double ok = requests(service, "2xx");

		HttpResponse<String> answer = proxy(service, "", caller(), body);

		assertThat(answer.statusCode()).as(answer::body).isEqualTo(200);
		assertThat(answer.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/json"));
		assertThat(answer.headers().firstValue(ScoringHeaders.REFRESHED)).isEmpty();
		assertThat(JSON.readTree(answer.body()).get("score").asDouble()).isEqualTo(directScore(credential, body));
		// the request is counted and its access line written once the answer is complete,
		// which the caller may see first
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(requests(service, "2xx") - ok).isEqualTo(1);
			assertThat(output.getAll())
				.contains("proxy caller=app service=" + service + " method=POST path=/ status=200");
		});
		assertThat(output.getAll()).doesNotContain(accessToken(credential));
	}

	@Test
	void theCallersOwnAuthorizationIsNeverForwarded() {
		// the broker's caller token is no credential of the service: had it been sent
		// along (first, as the caller's headers are), the service would have refused it
		RawHttp.Response answer = this.raw
			.exchange(List.of(List.of("POST /services/key-v1 HTTP/1.1", "Host: localhost",
					"Authorization: Bearer " + caller(), "Cookie: session=caller", "Connection: close, X-Private",
					"X-Private: caller", "Proxy-Authorization: Basic Y2FsbGVyOnNlY3JldA==", "Content-Length: 0")))
			.get(0);

		assertThat(answer.status()).as(answer::head).isEqualTo(200);
	}

	@Test
	void aCallerIsAuthorizedExactlyAsForGet() throws Exception {
		String fraudApp = CallerTokens.mint(SIMULATOR, "fraud-app", Duration.ofHours(1));
		long scored = SIMULATOR.callCount(REGION, Operation.SCORE);

		for (String service : List.of("key-v1", "nope")) {
			Http.Response get = this.api.get("/tokens/" + service, fraudApp);
			HttpResponse<String> proxied = proxy(service, "", fraudApp, "{}".getBytes());
			assertThat(proxied.statusCode()).as(proxied::body).isEqualTo(403).isEqualTo(get.status());
			assertProblem(proxied, "service-access-denied");
		}
		assertProblem(proxy("nope", "", caller(), "{}".getBytes()), "unknown-service");
		assertThat(proxy("nope", "", caller(), "{}".getBytes()).statusCode()).isEqualTo(404);
		assertThat(proxy("key-v1", "", null, "{}".getBytes()).statusCode()).isEqualTo(401);
		assertThat(SIMULATOR.callCount(REGION, Operation.SCORE)).as("nothing reached the scoring endpoint")
			.isEqualTo(scored);
	}

	@Test
	void aPathThatWouldLeaveTheScoringUriIsRefused() {
		long scored = SIMULATOR.callCount(REGION, Operation.SCORE);
		for (String path : List.of("/services/key-v1/../tok-v1", "/services/key-v1/%2e%2e/x", "/services/key-v1/a%2Fb",
				"/services/key-v1/a%5Cb", "/services/key-v1//x/../../y", "/services/key-v1/./x",
				"/services/key-v1@evil.example/x", "/services/key-v1/http://evil.example/")) {
			RawHttp.Response answer = this.raw.send(List.of("POST " + path + " HTTP/1.1", "Host: localhost",
					"Authorization: Bearer " + caller(), "Content-Length: 0"));
			assertThat(answer.status()).as(path + " -> " + answer.head()).isIn(400, 404);
		}
		assertThat(SIMULATOR.callCount(REGION, Operation.SCORE)).as("no request left the scoring URI's path")
			.isEqualTo(scored);
	}

	@Test
	void aKeyRegeneratedOutsideTheBrokerIsReplacedAndTheRequestSentAgain() throws Exception {
		JsonNode before = credential("key-regen");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		regenerateOutsideTheBroker("key-regen");
		long reads = SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS);
		double retries = retries("key-regen");

		HttpResponse<String> answer = proxy("key-regen", "", caller(), "{\"data\":[[4,5,6]]}".getBytes());

		assertThat(answer.statusCode()).as(answer::body).isEqualTo(200);
		assertThat(answer.headers().firstValue(ScoringHeaders.REFRESHED)).hasValue("true");
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).as("one re-read").isEqualTo(1);
		assertThat(retries("key-regen") - retries).isEqualTo(1);
		assertThat(accessToken(credential("key-regen"))).isNotEqualTo(accessToken(before))
			.isEqualTo(SIMULATOR.keys("ws-weu", "key-regen").primaryKey());
	}

	@Test
	void aRefusalWithinMinRefreshIntervalIsTheBrokersOwn503AndNoCredentialIsLogged(CapturedOutput output)
			throws Exception {
		JsonNode before = credential("key-held");
		regenerateOutsideTheBroker("key-held");
		long reads = SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS);

		HttpResponse<String> tooSoon = proxy("key-held", "", caller(), "{}".getBytes());

		assertThat(tooSoon.statusCode()).as(tooSoon::body).isEqualTo(503);
		assertProblem(tooSoon, "credential-rejected");
		assertThat(tooSoon.headers().firstValue("Retry-After")).isPresent();
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS)).isEqualTo(reads);

		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		HttpResponse<String> replaced = proxy("key-held", "", caller(), "{}".getBytes());
		assertThat(replaced.statusCode()).as(replaced::body).isEqualTo(200);
		String after = SIMULATOR.keys("ws-weu", "key-held").primaryKey();
		// the access line is written once the answer is complete, which the caller may
		// see
		// first
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(output.getAll())
				.contains("proxy caller=app service=key-held method=POST path=/ status=503")
				.contains("proxy caller=app service=key-held method=POST path=/ status=200 refreshed=retried"));
		assertThat(output.getAll()).doesNotContain(accessToken(before)).doesNotContain(after);
	}

	@Test
	void aLargeBodyStreamsThroughAndIsNotReplayedAfterARefusal() throws Exception {
		byte[] large = new byte[400 * 1024];
		Arrays.fill(large, (byte) '7');
		JsonNode credential = credential("key-big");

		HttpResponse<String> known = proxy("key-big", "", caller(), large);
		HttpResponse<String> chunked = this.client.send(proxyRequest("key-big", "", caller())
			.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large)))
			.build(), HttpResponse.BodyHandlers.ofString());

		for (HttpResponse<String> answer : List.of(known, chunked)) {
			assertThat(answer.statusCode()).as(answer::body).isEqualTo(200);
			assertThat(JSON.readTree(answer.body()).get("score").asDouble()).isEqualTo(directScore(credential, large));
		}

		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		regenerateOutsideTheBroker("key-big");
		double retries = retries("key-big");
		HttpResponse<String> refused = proxy("key-big", "", caller(), large);
		assertThat(refused.statusCode()).as("larger than the replay buffer: answered as is").isEqualTo(401);
		assertThat(refused.headers().firstValue(ScoringHeaders.REFRESHED)).hasValue("true");
		assertThat(refused.headers().firstValue("WWW-Authenticate")).isPresent();
		assertThat(retries("key-big") - retries).isZero();
		assertThat(proxy("key-big", "", caller(), large).statusCode()).as("sent again by the caller").isEqualTo(200);
	}

	@Test
	void aBodyOverTheLimitIsA413() throws Exception {
		byte[] tooLarge = new byte[600 * 1024];
		long scored = SIMULATOR.callCount(REGION, Operation.SCORE);

		HttpResponse<String> known = proxy("key-v1", "", caller(), tooLarge);
		HttpResponse<String> chunked = this.client.send(proxyRequest("key-v1", "", caller())
			.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge)))
			.build(), HttpResponse.BodyHandlers.ofString());

		assertThat(known.statusCode()).as(known::body).isEqualTo(413);
		assertProblem(known, "payload-too-large");
		assertThat(chunked.statusCode()).as(chunked::body).isEqualTo(413);
		assertProblem(chunked, "payload-too-large");
		assertThat(SIMULATOR.callCount(REGION, Operation.SCORE)).as("a declared length is refused before sending")
			.isLessThanOrEqualTo(scored + 1);
	}

	@Test
	void aScoringEndpointThatDropsTheConnectionIsA502() throws Exception {
		credential("key-faults");
		SIMULATOR.faults(REGION, Operation.SCORE).set(Fault.down());

		HttpResponse<String> answer = proxy("key-faults", "", caller(), "{}".getBytes());

		assertThat(answer.statusCode()).as(answer::body).isEqualTo(502);
		assertProblem(answer, "scoring-unreachable");
		assertThat(requests("key-faults", "error")).isPositive();
	}

	@Test
	void aScoringEndpointThatDoesNotAnswerWithinTheDeadlineIsA504() throws Exception {
		credential("key-faults");
		SIMULATOR.faults(REGION, Operation.SCORE).set(Fault.hang());

		HttpResponse<String> answer = proxy("key-faults", "", caller(), "{}".getBytes());

		assertThat(answer.statusCode()).as(answer::body).isEqualTo(504);
		assertProblem(answer, "scoring-timeout");
	}

	@Test
	void theScoringEndpointsErrorsAreAnsweredAsTheyAre() throws Exception {
		credential("key-faults");
		SIMULATOR.faults(REGION, Operation.SCORE).set(Fault.throttled(Duration.ofSeconds(7)));

		HttpResponse<String> answer = proxy("key-faults", "", caller(), "{}".getBytes());

		assertThat(answer.statusCode()).isEqualTo(429);
		assertThat(answer.headers().firstValue("Retry-After")).hasValue("7");
		assertThat(answer.body()).contains("TooManyRequests");
	}

	private HttpResponse<String> proxy(String service, String rest, String bearer, byte[] body) throws Exception {
		return this.client.send(
				proxyRequest(service, rest, bearer).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest.Builder proxyRequest(String service, String rest, String bearer) {
		HttpRequest.Builder request = HttpRequest
			.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/services/" + service + rest))
			.timeout(Duration.ofSeconds(20))
			.header("Content-Type", "application/json");
		if (bearer != null) {
			request.header("Authorization", "Bearer " + bearer);
		}
		return request;
	}

	private double directScore(JsonNode credential, byte[] body) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(credential.get("scoringUri").stringValue()))
			.header("Authorization",
					credential.get("tokenType").stringValue() + " " + credential.get("accessToken").stringValue())
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build();
		HttpResponse<String> answer = this.scoringClient.send(request, HttpResponse.BodyHandlers.ofString());
		assertThat(answer.statusCode()).isEqualTo(200);
		return JSON.readTree(answer.body()).get("score").asDouble();
	}

	private void regenerateOutsideTheBroker(String service) {
		this.keys.regenerateKey(this.catalog.find(ServiceName.of(service)).orElseThrow(), KeySlot.PRIMARY);
	}

	private double requests(String service, String status) {
		Timer timer = this.meters.find("broker.proxy.requests").tag("service", service).tag("status", status).timer();
		return (timer != null) ? timer.count() : 0;
	}

	private double retries(String service) {
		Counter counter = this.meters.find("broker.proxy.retries").tag("service", service).counter();
		return (counter != null) ? counter.count() : 0;
	}

	private static void assertProblem(HttpResponse<String> response, String type) {
		assertThat(response.headers().firstValue("Content-Type"))
			.hasValueSatisfying((value) -> assertThat(value).startsWith("application/problem+json"));
		assertThat(JSON.readTree(response.body()).get("type").stringValue())
			.isEqualTo("urn:token-broker:problem:" + type);
	}

	private static String caller() {
		return CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
	}

	private JsonNode credential(String service) {
		Http.Response response = this.api.get("/tokens/" + service, caller());
		assertThat(response.status()).as(response::body).isEqualTo(200);
		return response.json();
	}

	private static String accessToken(JsonNode credential) {
		return credential.get("accessToken").stringValue();
	}

	/** The proxy's own header. */
	static final class ScoringHeaders {

		static final String REFRESHED = "Token-Refreshed";

	}

}
