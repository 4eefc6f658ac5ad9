package com.acme.tokenbroker.it;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.support.TokenRequestMetric;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 2: {@code POST /tokens/{service}/rejections}. A caller whose credential
 * the service refuses (here a key regenerated outside the broker's token cache) reports
 * it and gets the replacement at once, instead of waiting for the next
 * {@code key-refresh}: recovery within one request. An older credential's report gets the
 * current one without an upstream call; concurrent reports make one upstream call;
 * {@code min-refresh-interval} bounds the re-reads; the endpoint is authorized exactly as
 * {@code GET /tokens/{service}}, and no body is quoted or logged.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true,
		properties = { "logging.level.com.acme.tokenbroker=DEBUG", "logging.level.org.springframework.web=TRACE" })
@ExtendWith(OutputCaptureExtension.class)
@Import(FastPolls.class)
class CredentialRejectionIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("key-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.KEY)
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.AML_TOKEN)
		.add("key-burst", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-held", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-down", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-open", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-quiet", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));

	static final Duration PAST_MIN_REFRESH_INTERVAL = Duration.ofSeconds(31);

	static final String REGION = "westeurope";

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.access.rules[1].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[1].subjects[0]", () -> "fraud-app");
		registry.add("broker.access.rules[1].services[0]", () -> "tok-v1");
	}

	@Autowired
	Http api;

	@LocalServerPort
	int port;

	@Autowired
	ServiceKeysClient keys;

	@Autowired
	ServiceCatalog catalog;

	@Autowired
	MeterRegistry meters;

	@Autowired
	CircuitBreakers breakers;

	final HttpClient scoringClient = HttpClient.newBuilder().sslContext(SIMULATOR.clientSslContext()).build();

	@ParameterizedTest
	@CsvSource({ "key-v1, MMS_LIST_KEYS", "key-v2, ARM_LIST_KEYS" })
	void aKeyRegeneratedOutsideTheBrokerIsReplacedWithinOneRequest(String service, Operation listKeys) {
		JsonNode before = credential(service);
		assertThat(score(before)).isEqualTo(200);
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		regenerateOutsideTheBroker(service);
		assertThat(score(before)).as("the service refuses the old key").isIn(401, 403);
		long reads = SIMULATOR.callCount(REGION, listKeys);
		double refreshed = rejections(service, "refreshed");

		Http.Response answer = reject(service, fingerprint(accessToken(before)));

		assertThat(answer.status()).as(answer::body).isEqualTo(200);
		assertThat(answer.header("Content-Type")).startsWith("application/json");
		assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
		JsonNode after = answer.json();
		assertThat(accessToken(after)).isNotEqualTo(accessToken(before))
			.isEqualTo(SIMULATOR.keys("ws-weu", service).primaryKey());
		assertThat(after.get("credentialType").stringValue()).isEqualTo("key");
		assertThat(after.get("service").stringValue()).isEqualTo(service);
		assertThat(score(after)).as("recovered within one request").isEqualTo(200);
		assertThat(SIMULATOR.callCount(REGION, listKeys) - reads).as("one re-read").isEqualTo(1);
		assertThat(rejections(service, "refreshed") - refreshed).isEqualTo(1);
		assertThat(accessToken(credential(service))).as("every caller gets the new key").isEqualTo(accessToken(after));
	}

	@Test
	void aRefusedWorkspaceTokenIsReplacedAndAnOlderOnesReportGetsTheCurrentOneWithoutAnUpstreamCall() {
		JsonNode first = credential("tok-v1");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		long calls = SIMULATOR.callCount(REGION, Operation.MMS_TOKEN);

		Http.Response replaced = reject("tok-v1", "{\"credential\":\"" + accessToken(first) + "\"}");

		assertThat(replaced.status()).as(replaced::body).isEqualTo(200);
		String second = accessToken(replaced.json());
		assertThat(second).isNotEqualTo(accessToken(first));
		assertThat(score(replaced.json())).isEqualTo(200);
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_TOKEN) - calls).isEqualTo(1);

		double stale = rejections("tok-v1", "stale_fingerprint");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		for (String body : List.of(
				fingerprint(accessToken(first)), base64UrlFingerprint(accessToken(first)), "{\"fingerprint\":\""
						+ fingerprintValue(accessToken(first)).toUpperCase().replace("SHA256:", "sha256:") + "\"}",
				"{\"credential\":\"" + accessToken(first) + "\"}")) {
			Http.Response older = reject("tok-v1", body);
			assertThat(older.status()).as(older::body).isEqualTo(200);
			assertThat(accessToken(older.json())).isEqualTo(second);
		}
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_TOKEN) - calls).as("no call for an older credential")
			.isEqualTo(1);
		assertThat(rejections("tok-v1", "stale_fingerprint") - stale).isEqualTo(4);
	}

	@Test
	void concurrentReportsOfTheServedKeyMakeOneUpstreamCall() throws Exception {
		JsonNode before = credential("key-burst");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		regenerateOutsideTheBroker("key-burst");
		long reads = SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS);
		// the re-read lasts long enough for every report to arrive while it runs
		SIMULATOR.faults(REGION, Operation.MMS_LIST_KEYS).set(Fault.slow(Duration.ofMillis(500)));
		int callers = 8;
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(callers);
		List<Future<Http.Response>> answers = new ArrayList<>();
		try {
			for (int i = 0; i < callers; i++) {
				Callable<Http.Response> report = () -> {
					start.await();
					return reject("key-burst", fingerprint(accessToken(before)));
				};
				answers.add(executor.submit(report));
			}
			start.countDown();
			String newKey = SIMULATOR.keys("ws-weu", "key-burst").primaryKey();
			for (Future<Http.Response> answer : answers) {
				Http.Response response = answer.get();
				assertThat(response.status()).as(response::body).isEqualTo(200);
				assertThat(accessToken(response.json())).isEqualTo(newKey);
			}
		}
		finally {
			executor.shutdownNow();
		}

		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).as("single flight").isEqualTo(1);
	}

	@Test
	void minRefreshIntervalBoundsTheReReadsAndTheRejectedKeyIsNeverTheAnswer() {
		JsonNode before = credential("key-held");
		regenerateOutsideTheBroker("key-held");
		long reads = SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS);
		double refused = rejections("key-held", "refused");

		Http.Response tooSoon = reject("key-held", fingerprint(accessToken(before)));

		assertThat(tooSoon.status()).as(tooSoon::body).isEqualTo(503);
		assertProblem(tooSoon, "credential-rejected");
		assertThat(Long.parseLong(tooSoon.header("Retry-After"))).isBetween(1L, 30L);
		assertThat(tooSoon.body()).doesNotContain(accessToken(before));
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS)).as("no re-read within the interval")
			.isEqualTo(reads);

		CLOCK.advance(Duration.ofSeconds(30));
		Http.Response replaced = reject("key-held", fingerprint(accessToken(before)));
		assertThat(replaced.status()).as(replaced::body).isEqualTo(200);
		String current = accessToken(replaced.json());
		assertThat(current).isEqualTo(SIMULATOR.keys("ws-weu", "key-held").primaryKey());
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);

		// the new key reported at once: the key was read moments ago
		Http.Response again = reject("key-held", fingerprint(current));
		assertThat(again.status()).as(again::body).isEqualTo(503);
		assertProblem(again, "credential-rejected");
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(1);

		// past the interval the key is re-read, and the service still has it: the
		// upstream, not a caller, says which key is current, so requests keep getting
		// it; the report gets a 503, never the key it reported
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		Http.Response unchanged = reject("key-held", fingerprint(current));
		assertThat(unchanged.status()).as(unchanged::body).isEqualTo(503);
		assertProblem(unchanged, "credential-rejected");
		assertThat(unchanged.header("Retry-After")).isEqualTo("30");
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS) - reads).isEqualTo(2);
		assertThat(accessToken(credential("key-held"))).isEqualTo(current);
		assertThat(rejections("key-held", "refused") - refused).isEqualTo(3);
	}

	@Test
	void anUpstreamFailingOnTheReReadAnswers503WithRetryAfter() {
		JsonNode before = credential("key-down");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		SIMULATOR.faults(REGION, Operation.MMS_LIST_KEYS).set(Fault.error(500));

		Http.Response failed = reject("key-down", fingerprint(accessToken(before)));

		assertThat(failed.status()).as(failed::body).isEqualTo(503);
		assertProblem(failed, "upstream-unavailable");
		assertThat(failed.header("Retry-After")).isNotBlank();
		assertThat(failed.body()).doesNotContain(accessToken(before));
		// the failed fetch's backoff holds the next report back as it holds a request
		long reads = SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS);
		Http.Response held = reject("key-down", fingerprint(accessToken(before)));
		assertThat(held.status()).isEqualTo(503);
		assertProblem(held, "upstream-unavailable");
		assertThat(held.header("Retry-After")).isNotBlank();
		assertThat(SIMULATOR.callCount(REGION, Operation.MMS_LIST_KEYS)).isEqualTo(reads);
	}

	@Test
	void anOpenBreakerAnswers503WithRetryAfterAndNoUpstreamCall() {
		JsonNode before = credential("key-open");
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		this.breakers.forRegion(REGION).transitionToOpenState();
		long calls = upstreamCalls();

		Http.Response refused = reject("key-open", fingerprint(accessToken(before)));

		assertThat(refused.status()).as(refused::body).isEqualTo(503);
		assertProblem(refused, "upstream-circuit-open");
		assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
		assertThat(upstreamCalls()).isEqualTo(calls);
	}

	@Test
	void aCallerIsAuthorizedExactlyAsForGet() {
		String fraudApp = CallerTokens.mint(SIMULATOR, "fraud-app", Duration.ofHours(1));
		String body = fingerprint("anything");
		long calls = upstreamCalls();

		for (String service : List.of("key-v1", "nope")) {
			Http.Response get = this.api.get("/tokens/" + service, fraudApp);
			Http.Response post = post("/tokens/" + service + "/rejections", fraudApp, body);
			assertThat(post.status()).as(post::body).isEqualTo(403).isEqualTo(get.status());
			assertProblem(post, "service-access-denied");
		}
		Http.Response unknown = post("/tokens/nope/rejections", caller(), body);
		assertThat(unknown.status()).as(unknown::body).isEqualTo(404);
		assertProblem(unknown, "unknown-service");
		Http.Response badName = post("/tokens/bad%20name/rejections", caller(), body);
		assertThat(badName.status()).isEqualTo(400);
		assertProblem(badName, "invalid-service-name");
		assertThat(post("/tokens/key-v1/rejections", null, body).status()).isEqualTo(401);
		// the grant comes before the body: a malformed body tells a stranger nothing
		assertThat(post("/tokens/key-v1/rejections", fraudApp, "not json").status()).isEqualTo(403);
		assertThat(upstreamCalls()).isEqualTo(calls);
	}

	@Test
	void aMalformedBodyIsA400ProblemThatQuotesNothing(CapturedOutput output) {
		String secret = "s3cr3t-credential-0123456789";
		long calls = upstreamCalls();

		for (String body : List.of("", "not json " + secret, "{\"credential\":\"" + secret, "[\"" + secret + "\"]",
				"{}", "\"" + secret + "\"", "{\"credential\":\"\"}", "{\"credential\":42}",
				"{\"" + secret + "\":\"x\"}", "{\"fingerprint\":\"" + secret + "\"}",
				"{\"fingerprint\":\"md5:0123456789abcdef0123456789abcdef\"}",
				"{\"fingerprint\":\"sha256:" + "ab".repeat(31) + "\"}",
				"{\"fingerprint\":\"sha256:" + "zz".repeat(32) + "\"}",
				"{\"fingerprint\":\"" + fingerprintValue(secret) + "\",\"credential\":\"" + secret + "\"}",
				"{\"credential\":\"" + "x".repeat(17 * 1024) + "\"}")) {
			Http.Response answer = post("/tokens/key-quiet/rejections", caller(), body);
			assertThat(answer.status()).as(body + " -> " + answer.body()).isEqualTo(400);
			assertProblem(answer, "invalid-request");
			assertThat(answer.body()).doesNotContain(secret);
		}
		assertThat(upstreamCalls()).as("a malformed report never reaches an upstream").isEqualTo(calls);
		assertThat(output.getAll()).doesNotContain(secret);
	}

	/**
	 * An oversized body is refused from what was read of it, not buffered whole: a caller
	 * (granted or not) that declares or streams a huge body gets its 400 (or 403) at
	 * once, and the broker never holds more than the limit in memory.
	 */
	@Test
	void anOversizedBodyIsRefusedWithoutReadingItWhole() throws Exception {
		String grantedCaller = caller();
		String fraudApp = CallerTokens.mint(SIMULATOR, "fraud-app", Duration.ofHours(1));
		// declared far beyond the limit, none of it sent: no answer would come if the
		// broker waited for the whole body
		assertThat(statusWithPartialBody(grantedCaller, "Content-Length: 1073741824", new byte[0])).isEqualTo(400);
		assertThat(statusWithPartialBody(fraudApp, "Content-Length: 1073741824", new byte[0])).isEqualTo(403);
		// chunked, with no length: the limit and one byte are read, and then the answer
		byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
		assertThat(statusWithPartialBody(grantedCaller, "Transfer-Encoding: chunked", chunk)).isEqualTo(400);
	}

	/**
	 * A body that ends before its declared length (the caller closed its side) is a 400
	 * like any malformed body, not an internal error logged with its stack trace.
	 */
	@Test
	void aBodyCutShortIsA400(CapturedOutput output) throws Exception {
		byte[] start = "{\"fingerprint\":".getBytes(StandardCharsets.US_ASCII);
		assertThat(statusWithPartialBody(caller(), "Content-Length: 100", start, true)).isEqualTo(400);
		assertThat(output.getAll()).doesNotContain("Unexpected error");
	}

	private int statusWithPartialBody(String bearer, String framing, byte[] partialBody) throws Exception {
		return statusWithPartialBody(bearer, framing, partialBody, false);
	}

	private int statusWithPartialBody(String bearer, String framing, byte[] partialBody, boolean endOfInput)
			throws Exception {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5000);
			socket.setSoTimeout(5000);
			String head = "POST /tokens/key-quiet/rejections HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
					+ bearer + "\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n";
			OutputStream out = socket.getOutputStream();
			out.write(head.getBytes(StandardCharsets.ISO_8859_1));
			out.write(partialBody);
			out.flush();
			if (endOfInput) {
				socket.shutdownOutput();
			}
			// the body is never completed: the answer must come from what was sent
			String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
			assertThat(statusLine).startsWith("HTTP/1.1 ");
			return Integer.parseInt(statusLine.substring(9, 12));
		}
	}

	@Test
	void theReportedCredentialIsNeverLogged(CapturedOutput output) {
		String key = accessToken(credential("key-quiet"));
		CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
		regenerateOutsideTheBroker("key-quiet");
		int logged = output.getAll().length();

		Http.Response answer = reject("key-quiet", "{\"credential\":\"" + key + "\"}");

		assertThat(answer.status()).as(answer::body).isEqualTo(200);
		String newKey = accessToken(answer.json());
		assertThat(output.getAll().substring(logged)).contains("/rejections")
			.doesNotContain(key)
			.doesNotContain(newKey)
			.doesNotContain(fingerprintValue(key).substring("sha256:".length()));
	}

	private void regenerateOutsideTheBroker(String service) {
		// the upstream's regenerateKeys, called past the broker's token cache as an
		// operator's `az ml ... regen-key` would be
		this.keys.regenerateKey(this.catalog.find(ServiceName.of(service)).orElseThrow(), KeySlot.PRIMARY);
	}

	private long upstreamCalls() {
		long calls = 0;
		for (Operation operation : List.of(Operation.MMS_TOKEN, Operation.MMS_LIST_KEYS, Operation.ARM_LIST_KEYS,
				Operation.ARM_TOKEN)) {
			calls += SIMULATOR.callCount(REGION, operation);
		}
		return calls;
	}

	private double rejections(String service, String outcome) {
		return TokenRequestMetric.count(this.meters, "broker.token.rejections", service, outcome);
	}

	private static void assertProblem(Http.Response response, String type) {
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("type").stringValue()).isEqualTo("urn:token-broker:problem:" + type);
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

	private Http.Response reject(String service, String body) {
		return post("/tokens/" + service + "/rejections", caller(), body);
	}

	private Http.Response post(String path, String bearer, String body) {
		return this.api.postJson(path, bearer, body);
	}

	private int score(JsonNode credential) {
		try {
			HttpRequest request = HttpRequest.newBuilder(URI.create(credential.get("scoringUri").stringValue()))
				.header("Authorization",
						credential.get("tokenType").stringValue() + " " + credential.get("accessToken").stringValue())
				.POST(HttpRequest.BodyPublishers.ofString("{\"data\":[1,2,3]}"))
				.build();
			return this.scoringClient.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * The body naming a credential by its hex fingerprint, as {@code sha256sum} gives.
	 */
	static String fingerprint(String credential) {
		return "{\"fingerprint\":\"" + fingerprintValue(credential) + "\"}";
	}

	static String fingerprintValue(String credential) {
		return "sha256:" + HexFormat.of().formatHex(sha256(credential));
	}

	static String base64UrlFingerprint(String credential) {
		return "{\"fingerprint\":\"sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(credential))
				+ "\"}";
	}

	private static byte[] sha256(String credential) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
