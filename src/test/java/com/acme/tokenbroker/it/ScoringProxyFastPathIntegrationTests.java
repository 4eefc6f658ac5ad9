package com.acme.tokenbroker.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.RecordedExchange;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.FastPolls;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.PassedOnProbe;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fast path of the injecting proxy ({@code ScoringProxyFilter}) against the full
 * chain, in one broker, as {@link CachedTokenFastPathIntegrationTests} does for the token
 * endpoint. {@link PassedOnProbe} counts the requests the fast path passed on; a second
 * probe counts those it handed on with a problem for the full chain to render. The first
 * request with a caller token never seen goes down the full chain (which verifies and
 * caches the token), the same request again takes the fast path, and the two answers are
 * compared byte for byte (only the dates and the simulator's own random request ids
 * masked), whether the scoring endpoint answered or the broker answered a problem, with
 * one access line per request.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true,
		properties = { "broker.proxy.replay-buffer=16KB", "broker.proxy.max-body-size=64KB",
				"broker.proxy.request-deadline=2s" })
@ExtendWith(OutputCaptureExtension.class)
@Import({ PassedOnProbe.class, ScoringProxyFastPathIntegrationTests.HandedOnProbe.class, FastPolls.class })
class ScoringProxyFastPathIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.AML_TOKEN)
		.add("key-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.KEY)
		.add("key-faults", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("key-held", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));

	static final String REGION = "westeurope";

	static final String REQUEST_ID = "fast-proxy-1";

	static final JsonMapper JSON = JsonMapper.builder().build();

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.access.rules[1].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[1].subjects[0]", () -> "fraud-app");
		registry.add("broker.access.rules[1].services[0]", () -> "tok-v1");
	}

	@Autowired
	PassedOnProbe passedOn;

	@Autowired
	HandedOnProbe handedOn;

	@Autowired
	RawHttp http;

	@Autowired
	Http api;

	@Autowired
	MeterRegistry meters;

	@Autowired
	ServiceKeysClient keys;

	@Autowired
	ServiceCatalog catalog;

	/**
	 * Counts the requests the fast path handed on to the full chain with a problem for
	 * the controller to raise; after {@link PassedOnProbe}, before Spring Security.
	 */
	static class HandedOnProbe extends FilterRegistrationBean<Filter> {

		/** {@code ScoringProxyFilter.PENDING_PROBLEM}. */
		static final String PENDING_PROBLEM = "com.acme.tokenbroker.token.ScoringProxyFilter.problem";

		private final AtomicInteger handedOn;

		HandedOnProbe() {
			this(new AtomicInteger());
		}

		private HandedOnProbe(AtomicInteger handedOn) {
			super((request, response, chain) -> {
				if (request.getAttribute(PENDING_PROBLEM) != null) {
					handedOn.incrementAndGet();
				}
				chain.doFilter(request, response);
			});
			this.handedOn = handedOn;
			setOrder(-107);
		}

		int get() {
			return this.handedOn.get();
		}

	}

	/** A caller token never presented before (a unique claim). */
	static String newCaller(String subject) {
		return SIMULATOR.mintCallerToken(subject, CallerTokens.AUDIENCE, Map.of("nonce", UUID.randomUUID().toString()),
				Duration.ofHours(1));
	}

	static String newCaller() {
		return newCaller(CallerTokens.APP);
	}

	/** The head of a request with a body of {@code length} bytes. */
	static List<String> request(String method, String path, String token, String contentType, int length) {
		List<String> lines = new ArrayList<>();
		lines.add(method + " " + path + " HTTP/1.1");
		lines.add("Host: localhost");
		if (token != null) {
			lines.add("Authorization: Bearer " + token);
		}
		lines.add("X-Request-Id: " + REQUEST_ID);
		if (contentType != null) {
			lines.add("Content-Type: " + contentType);
		}
		lines.add("Content-Length: " + length);
		return lines;
	}

	static List<String> post(String path, String token, byte[] body) {
		return request("POST", path, token, "application/json", body.length);
	}

	/**
	 * A response and which way its request went.
	 *
	 * @param response the raw response
	 * @param passedOn whether the fast path passed it on to the full chain
	 * @param handedOn whether the fast path handed it on with a problem to render
	 */
	record Sent(RawHttp.Response response, boolean passedOn, boolean handedOn) {

		/** Not passed on at all: the fast path forwarded it and wrote the answer. */
		boolean answeredByFastPath() {
			return !this.passedOn;
		}

		/**
		 * The answer with what the broker does not choose masked: the dates, and the
		 * random request ids of the simulator's control plane (its answer to a path that
		 * is no scoring path).
		 */
		String comparable() {
			return this.response.comparable().replaceAll("(?im)^(x-ms-[a-z-]*request-id): [^\r\n]*", "$1: <masked>");
		}

		/** The body as JSON, its chunks joined when it came chunked. */
		JsonNode json() {
			String body = this.response.bodyText();
			if ("chunked".equalsIgnoreCase(this.response.header("Transfer-Encoding"))) {
				StringBuilder joined = new StringBuilder();
				int at = 0;
				for (int size = chunkSize(body, at); size > 0; size = chunkSize(body, at)) {
					int start = body.indexOf("\r\n", at) + 2;
					joined.append(body, start, start + size);
					at = start + size + 2;
				}
				body = joined.toString();
			}
			return JSON.readTree(body);
		}

		private static int chunkSize(String body, int at) {
			return Integer.parseInt(body.substring(at, body.indexOf("\r\n", at)).trim(), 16);
		}

	}

	Sent send(List<String> request, byte[] body) {
		int passedOn = this.passedOn.get();
		int handedOn = this.handedOn.get();
		RawHttp.Response response = this.http.send(request, body);
		return new Sent(response, this.passedOn.get() != passedOn, this.handedOn.get() != handedOn);
	}

	/**
	 * Service, method, the rest of the path and the status the scoring endpoint answers
	 * (the simulator scores {@code POST} on the scoring URI alone, refuses other methods
	 * there with 405 and answers 404 below it).
	 */
	static Stream<Arguments> forwarded() {
		return Stream.of(Arguments.of("tok-v1", "POST", "", 200), Arguments.of("key-v1", "POST", "", 200),
				Arguments.of("key-v2", "POST", "", 200), Arguments.of("key-v1", "POST", "?verbose=true", 200),
				Arguments.of("tok-v1", "POST", "/score", 404), Arguments.of("key-v1", "POST", "/score", 404),
				Arguments.of("key-v1", "POST", "/", 404), Arguments.of("key-v1", "GET", "", 405),
				Arguments.of("tok-v1", "PUT", "", 405), Arguments.of("key-v1", "PATCH", "/score", 404),
				Arguments.of("key-v1", "DELETE", "", 405));
	}

	@ParameterizedTest(name = "{1} {0}{2}")
	@MethodSource("forwarded")
	void aForwardedAnswerFromTheFastPathIsTheFullChainsExactBytes(String service, String method, String rest,
			int status, CapturedOutput output) {
		byte[] body = (method.equals("GET") || method.equals("DELETE")) ? new byte[0]
				: "{\"data\":[[1,2,3]]}".getBytes(StandardCharsets.UTF_8);
		String token = newCaller();
		List<String> request = request(method, "/services/" + service + rest, token, "application/json", body.length);
		String accessLine = "proxy caller=app service=" + service + " method=" + method + " path="
				+ (rest.isEmpty() || rest.startsWith("?") ? "/" : rest) + " status=" + status + " ";
		int lines = count(output, accessLine);

		Sent full = send(request, body);
		Sent fast = send(request, body);

		assertThat(full.passedOn()).as("a token never seen takes the full chain").isTrue();
		assertThat(fast.answeredByFastPath()).as("a verified, granted caller takes the fast path").isTrue();
		assertThat(fast.response().status()).as(fast.response()::head).isEqualTo(status);
		assertThat(fast.comparable()).isEqualTo(full.comparable());
		assertThat(fast.response().header("X-Content-Type-Options")).isEqualTo("nosniff");
		assertThat(fast.response().header("X-Request-Id")).isEqualTo(REQUEST_ID);
		// written once the answer is complete, which the caller may see first
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(count(output, accessLine) - lines).as("one line each").isEqualTo(2));
	}

	static Stream<Arguments> problems() {
		return Stream.of(Arguments.of("payload-too-large", 413), Arguments.of("scoring-unreachable", 502),
				Arguments.of("scoring-timeout", 504), Arguments.of("credential-rejected", 503));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("problems")
	void aProblemFromTheFastPathIsRenderedAsTheFullChainsOwn(String type, int status, CapturedOutput output) {
		String service = "key-faults";
		byte[] body = "{\"data\":[[1,2,3]]}".getBytes(StandardCharsets.UTF_8);
		switch (status) {
			case 413 -> body = new byte[100 * 1024];
			case 502 -> SIMULATOR.faults(REGION, Operation.SCORE).set(Fault.down());
			case 504 -> SIMULATOR.faults(REGION, Operation.SCORE).set(Fault.hang());
			case 503 -> {
				// a key refused within min-refresh-interval of the last read: no
				// replacement to be had
				service = "key-held";
				assertThat(this.api.get("/tokens/" + service, newCaller()).status()).isEqualTo(200);
				this.keys.regenerateKey(this.catalog.find(ServiceName.of(service)).orElseThrow(), KeySlot.PRIMARY);
			}
			default -> throw new IllegalArgumentException(type);
		}
		String token = newCaller();
		String path = "/services/" + service;
		String accessLine = "proxy caller=app service=" + service + " method=POST path=/ status=" + status + " ";
		double timed = serverRequests("/services/{service}", "POST", status);

		int before = count(output, accessLine);
		Sent full = send(post(path, token, body), body);
		int afterFull = count(output, accessLine);
		Sent fast = send(post(path, token, body), body);
		int afterFast = count(output, accessLine);

		assertThat(full.passedOn()).as("a token never seen takes the full chain").isTrue();
		assertThat(full.handedOn()).isFalse();
		assertThat(fast.handedOn()).as("the fast path met the problem and handed it on").isTrue();
		for (Sent sent : List.of(full, fast)) {
			assertThat(sent.response().status()).as(sent.response()::head).isEqualTo(status);
			assertThat(sent.response().header("Content-Type")).startsWith("application/problem+json");
			assertThat(sent.json().get("type").stringValue()).isEqualTo("urn:token-broker:problem:" + type);
		}
		assertThat(fast.response().header("Content-Type")).isEqualTo(full.response().header("Content-Type"));
		assertThat(fast.json()).isEqualTo(full.json());
		assertThat(fast.comparable()).isEqualTo(full.comparable());
		// logged before the problem is rendered
		assertThat(afterFull - before).as("one access line for the full chain's answer").isEqualTo(1);
		assertThat(afterFast - afterFull).as("one access line for the fast path's answer").isEqualTo(1);
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(serverRequests("/services/{service}", "POST", status) - timed)
				.as("each timed once, by the full chain that rendered it")
				.isEqualTo(2));
	}

	/**
	 * A header value the firewall refuses is only met when the proxy reads the headers to
	 * forward them, inside the controller: it is still the firewall's 400, as a refused
	 * URL is, not a 500 logged as an unexpected error, and nothing is forwarded.
	 */
	@Test
	void aHeaderValueTheFirewallRefusesIsItsRejectionOnBothPaths(CapturedOutput output) {
		byte[] body = "{\"data\":[[1,2,3]]}".getBytes(StandardCharsets.UTF_8);
		String token = newCaller();
		List<String> request = new ArrayList<>(post("/services/key-v1", token, body));
		// NEL, a control character: RawHttp writes ISO-8859-1, Tomcat reads it back so
		request.add("X-Odd: a\u0085b");
		String accessLine = "proxy caller=app service=key-v1 method=POST path=/ status=400 ";
		int lines = count(output, accessLine);
		long scored = SIMULATOR.callCount(REGION, Operation.SCORE);
		int logged = output.getAll().length();

		Sent full = send(request, body);
		Sent fast = send(request, body);
		Sent refusedUrl = send(post("/services/key-v1;a=b", token, body), body);

		assertThat(full.passedOn()).as("a token never seen takes the full chain").isTrue();
		assertThat(fast.handedOn()).as("the fast path met the rejection and handed it on").isTrue();
		for (Sent sent : List.of(full, fast)) {
			assertThat(sent.response().status()).as(sent.response()::head).isEqualTo(400);
			assertThat(sent.response().header("Content-Type")).startsWith("application/problem+json");
			assertThat(sent.response().header("Cache-Control")).isEqualTo("no-store");
			JsonNode problem = sent.json();
			assertThat(problem.get("type").stringValue()).isEqualTo("urn:token-broker:problem:request-rejected");
			for (String field : List.of("type", "title", "status", "detail")) {
				assertThat(problem.get(field)).as(field + " as the firewall's other rejections")
					.isEqualTo(refusedUrl.json().get(field));
			}
		}
		assertThat(fast.comparable()).isEqualTo(full.comparable());
		assertThat(SIMULATOR.callCount(REGION, Operation.SCORE)).as("nothing reached the scoring endpoint")
			.isEqualTo(scored);
		assertThat(count(output, accessLine) - lines).as("one access line each").isEqualTo(2);
		String since = output.getAll().substring(logged);
		assertThat(since).doesNotContain("ERROR").doesNotContain("RequestRejectedException");
	}

	/**
	 * Name, method, path, whose token ({@code app}, {@code fraud-app}, {@code new},
	 * {@code forged}, {@code none}), the full chain's status and problem type (or
	 * {@code null} for an answer that is none).
	 */
	static Stream<Arguments> passedOn() {
		return Stream.of(Arguments.of("unknown service", "POST", "/services/nope", "app", 404, "unknown-service"),
				Arguments.of("service not granted", "POST", "/services/key-v1", "fraud-app", 403,
						"service-access-denied"),
				Arguments.of("encoded character in the name", "POST", "/services/key%2Dv1", "app", 400,
						"invalid-request"),
				Arguments.of("encoded letter in the name", "POST", "/services/k%65y-v1/x", "app", 400,
						"invalid-request"),
				Arguments.of("path parameter", "POST", "/services/key-v1/a;b", "app", 400, "request-rejected"),
				Arguments.of("path parameter on the name", "POST", "/services/key-v1;a=b", "app", 400,
						"request-rejected"),
				Arguments.of("double slash below", "POST", "/services/key-v1//x", "app", 400, "request-rejected"),
				Arguments.of("double slash before the name", "POST", "/services//key-v1", "app", 400,
						"request-rejected"),
				Arguments.of("OPTIONS", "OPTIONS", "/services/key-v1", "app", 200, null),
				Arguments.of("never-seen token", "POST", "/services/key-v1", "new", 200, null),
				Arguments.of("forged token", "POST", "/services/key-v1", "forged", 401, "unauthenticated"),
				Arguments.of("no token", "POST", "/services/key-v1", "none", 401, "unauthenticated"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("passedOn")
	void everythingButAVerifiedGrantedCallerOfAConfiguredServiceTakesTheFullChain(String name, String method,
			String path, String who, int status, String type) {
		byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
		String app = verified(CallerTokens.APP, "key-v1");
		String fraudApp = verified("fraud-app", "tok-v1");
		String token = switch (who) {
			case "app" -> app;
			case "fraud-app" -> fraudApp;
			case "new" -> newCaller();
			case "forged" -> forged(app);
			default -> null;
		};
		long scored = SIMULATOR.callCount(REGION, Operation.SCORE);

		Sent sent = send(request(method, path, token, "application/json", body.length), body);

		assertThat(sent.passedOn()).as(name + " goes down the full chain").isTrue();
		assertThat(sent.response().status()).as(name + ": " + sent.response().head()).isEqualTo(status);
		if (type != null) {
			assertThat(sent.response().header("Content-Type")).startsWith("application/problem+json");
			assertThat(sent.json().get("type").stringValue()).isEqualTo("urn:token-broker:problem:" + type);
			assertThat(SIMULATOR.callCount(REGION, Operation.SCORE)).as("nothing reached the scoring endpoint")
				.isEqualTo(scored);
		}
	}

	@Test
	void aMethodTomcatRefusesReachesNeitherPath() {
		String token = verified(CallerTokens.APP, "key-v1");

		Sent trace = send(request("TRACE", "/services/key-v1", token, null, 0), new byte[0]);

		assertThat(trace.passedOn()).as("refused by Tomcat before any filter").isFalse();
		assertThat(trace.response().status()).isEqualTo(405);
	}

	static Stream<Arguments> formBodies() {
		String boundary = "----scoring-boundary";
		String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n[[1,2,3]]\r\n--"
				+ boundary + "--\r\n";
		return Stream.of(Arguments.of("PUT", "application/x-www-form-urlencoded", "a=1&b=two+words&c=%26"),
				Arguments.of("PATCH", "application/x-www-form-urlencoded", "a=1&b=two"),
				Arguments.of("POST", "application/x-www-form-urlencoded", "a=1&b=two+words"),
				Arguments.of("POST", "multipart/form-data; boundary=" + boundary, multipart),
				Arguments.of("PUT", "multipart/form-data; boundary=" + boundary, multipart));
	}

	/**
	 * A form or multipart body reaches the scoring endpoint as sent, on both paths:
	 * neither Spring's form filter (which reads a form sent with {@code PUT},
	 * {@code PATCH} or {@code DELETE} into parameters) nor Spring MVC's multipart
	 * resolution reads it first.
	 */
	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("formBodies")
	void aFormOrMultipartBodyReachesTheScoringEndpointIntactOnBothPaths(String method, String contentType,
			String body) {
		String token = newCaller();
		byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);

		Sent first = send(request(method, "/services/key-v1", token, contentType, bytes.length), bytes);
		RecordedExchange viaFullChain = method.equals("POST") ? null : lastReceived(method);
		Sent second = send(request(method, "/services/key-v1", token, contentType, bytes.length), bytes);
		RecordedExchange viaFastPath = method.equals("POST") ? null : lastReceived(method);

		assertThat(first.passedOn()).isTrue();
		assertThat(second.answeredByFastPath()).isTrue();
		if (method.equals("POST")) {
			// the simulated endpoint does not record its scoring calls; its score is a
			// hash of the body it received
			double expected = Math.floorMod(Arrays.hashCode(bytes), 1000) / 1000.0;
			for (Sent sent : List.of(first, second)) {
				assertThat(sent.response().status()).as(sent.response()::head).isEqualTo(200);
				assertThat(sent.json().get("score").doubleValue()).isEqualTo(expected);
			}
			return;
		}
		for (RecordedExchange received : List.of(viaFullChain, viaFastPath)) {
			assertThat(received.requestContentType()).isEqualTo(contentType);
			assertThat(received.requestBody()).isEqualTo(body);
		}
		assertThat(viaFastPath).isNotSameAs(viaFullChain);
	}

	private static RecordedExchange lastReceived(String method) {
		return SIMULATOR.exchanges()
			.stream()
			.filter((exchange) -> exchange.method().equals(method) && exchange.path().endsWith("/key-v1"))
			.reduce((first, second) -> second)
			.orElseThrow();
	}

	@Test
	void theFastPathIsTimedInTheServerObservationsOwnTimer() {
		byte[] body = "{\"data\":[[7]]}".getBytes(StandardCharsets.UTF_8);
		String first = newCaller();
		String second = newCaller();
		double base = serverRequests("/services/{service}", "POST", 200);
		double below = serverRequests("/services/{service}/**", "POST", 404);

		assertThat(send(post("/services/key-v1", first, body), body).passedOn()).isTrue();
		assertThat(send(post("/services/key-v1/score", second, body), body).passedOn()).isTrue();
		assertThat(send(post("/services/key-v1", first, body), body).answeredByFastPath()).isTrue();
		assertThat(send(post("/services/key-v1/score", second, body), body).answeredByFastPath()).isTrue();

		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(serverRequests("/services/{service}", "POST", 200) - base).isEqualTo(2);
			assertThat(serverRequests("/services/{service}/**", "POST", 404) - below).isEqualTo(2);
		});
		for (String uri : List.of("/services/{service}", "/services/{service}/**")) {
			List<Timer> timers = List.copyOf(this.meters.find("http.server.requests")
				.tag("uri", uri)
				.tag("method", "POST")
				.tag("status", uri.endsWith("**") ? "404" : "200")
				.timers());
			assertThat(timers).as("one meter for both paths: the same name and tags").hasSize(1);
			assertThat(timers.get(0).getId().getTags()).extracting("key")
				.containsExactlyInAnyOrder("application", "error", "exception", "method", "outcome", "status", "uri");
			assertThat(timers.get(0).getId().getTag("outcome"))
				.isEqualTo(uri.endsWith("**") ? "CLIENT_ERROR" : "SUCCESS");
		}
	}

	/**
	 * A new caller token, verified and cached by the full chain on a request the caller
	 * is granted.
	 */
	String verified(String subject, String granted) {
		String token = newCaller(subject);
		byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
		Sent first = send(post("/services/" + granted, token, body), body);
		assertThat(first.passedOn()).isTrue();
		assertThat(first.response().status()).as(first.response()::head).isEqualTo(200);
		return token;
	}

	/** The token with one character of its signature changed. */
	static String forged(String token) {
		int at = token.length() - 10;
		return token.substring(0, at) + ((token.charAt(at) == 'A') ? 'B' : 'A') + token.substring(at + 1);
	}

	static int count(CapturedOutput output, String text) {
		int count = 0;
		String all = output.getAll();
		for (int at = all.indexOf(text); at >= 0; at = all.indexOf(text, at + text.length())) {
			count++;
		}
		return count;
	}

	double serverRequests(String uri, String method, int status) {
		return this.meters.find("http.server.requests")
			.tag("uri", uri)
			.tag("method", method)
			.tag("status", Integer.toString(status))
			.timers()
			.stream()
			.mapToDouble(Timer::count)
			.sum();
	}

}
