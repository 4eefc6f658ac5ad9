package com.acme.tokenbroker.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.PassedOnProbe;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.support.TokenRequestMetric;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path of {@code GET /tokens/{service}} ({@code CachedTokenFilter}) against the
 * full chain, in one broker. A probe filter placed between the fast path and Spring
 * Security counts the requests the fast path passed on, so every case asserts which way
 * it went. A clean hit is compared byte for byte (status line, every header in order,
 * body; only {@code Date} masked) with the full chain's answer to the same request in the
 * same state: the first request with a caller token never seen goes down the full chain
 * (which verifies and caches it), the same request again is answered by the fast path.
 * Everything else must pass through untouched. Virtual time drives expiry.
 */
@SimulatedWorkspaceTest
@Import(PassedOnProbe.class)
class CachedTokenFastPathIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final String AUDIENCE = "api://token-broker";

	@Autowired
	PassedOnProbe passedOn;

	@Autowired
	MeterRegistry meters;

	@Autowired
	RawHttp http;

	@LocalServerPort
	int port;

	/**
	 * A caller token never presented before (a unique claim), granted every service by
	 * the test catalog's rule.
	 */
	static String newCaller(String subject, Duration ttl) {
		return SIMULATOR.mintCallerToken(subject, AUDIENCE, Map.of("nonce", UUID.randomUUID().toString()), ttl);
	}

	static String newCaller() {
		return newCaller("app", Duration.ofHours(1));
	}

	static List<String> get(String path, String token) {
		return request("GET", path, token, "application/json");
	}

	static List<String> request(String method, String path, String token, String accept) {
		List<String> lines = new ArrayList<>();
		lines.add(method + " " + path + " HTTP/1.1");
		lines.add("Host: localhost");
		if (accept != null) {
			lines.add("Accept: " + accept);
		}
		if (token != null) {
			lines.add("Authorization: Bearer " + token);
		}
		return lines;
	}

	static List<String> with(List<String> request, String... lines) {
		List<String> result = new ArrayList<>(request);
		result.addAll(List.of(lines));
		return result;
	}

	/**
	 * A response and which way its request went.
	 *
	 * @param response the raw response
	 * @param passedOn whether the fast path passed it on to the full chain
	 */
	record Sent(RawHttp.Response response, boolean passedOn) {

		/**
		 * Not passed on, yet answered 200: the fast path (Tomcat refuses some requests
		 * before any filter, never with 200).
		 */
		boolean answeredByFastPath() {
			return !this.passedOn && this.response.status() == 200;
		}

	}

	Sent send(List<String> request) {
		int passedOn = this.passedOn.get();
		RawHttp.Response response = this.http.send(request);
		return new Sent(response, this.passedOn.get() != passedOn);
	}

	/** The {@code broker.token.requests} count of a service and outcome. */
	double count(String service, String outcome) {
		return TokenRequestMetric.count(this.meters, service, outcome);
	}

	/** Fetch the service's token into the cache through the full chain. */
	void warm(String service) {
		Sent warm = send(get("/tokens/" + service, newCaller()));
		assertThat(warm.response().status()).isEqualTo(200);
		assertThat(warm.passedOn()).isTrue();
	}

	/**
	 * The same request twice with a fresh caller token: the first must take the full
	 * chain, the second the fast path, and both answers must be identical.
	 * @return the fast path's answer
	 */
	RawHttp.Response assertFastPathAnswersAsTheFullChain(String service,
			java.util.function.Function<String, List<String>> request) {
		String token = newCaller();
		Sent full = send(request.apply(token));
		Sent fast = send(request.apply(token));
		assertThat(full.passedOn()).as("a token never seen takes the full chain").isTrue();
		assertThat(fast.answeredByFastPath()).as("a verified token on a cached hit takes the fast path").isTrue();
		assertThat(fast.response().status()).isEqualTo(200);
		assertThat(fast.response().comparable()).isEqualTo(full.response().comparable());
		return fast.response();
	}

	static Stream<Arguments> cleanHits() {
		return Stream.of(Arguments.of("v1-weu", "plain"), Arguments.of("v2-weu", "plain"),
				Arguments.of("v1-eus", "plain"), Arguments.of("v1-weu", "lowercase bearer"),
				Arguments.of("v1-weu", "extra headers"), Arguments.of("v1-weu", "origin"),
				Arguments.of("v2-weu", "http/1.0"), Arguments.of("v2-weu", "accept-encoding gzip"),
				Arguments.of("v1-weu", "any type"), Arguments.of("v2-weu", "no accept"),
				Arguments.of("v1-eus", "no accept, http/1.0"));
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("cleanHits")
	void aCleanHitIsAnsweredByTheFastPathWithTheFullChainsExactBytes(String service, String variant) {
		warm(service);
		double hits = count(service, "hit");
		double stale = count(service, "stale");
		RawHttp.Response fast = assertFastPathAnswersAsTheFullChain(service, (token) -> switch (variant) {
			case "lowercase bearer" -> List.of("GET /tokens/" + service + " HTTP/1.1", "Host: localhost",
					"Accept: application/json", "Authorization: bearer " + token);
			case "extra headers" ->
				with(get("/tokens/" + service, token), "User-Agent: test/1.0", "X-Request-Id: 42", "Cookie: a=b");
			case "origin" -> with(get("/tokens/" + service, token), "Origin: https://elsewhere.example");
			case "http/1.0" -> List.of("GET /tokens/" + service + " HTTP/1.0", "Accept: application/json",
					"Authorization: Bearer " + token);
			case "accept-encoding gzip" -> with(get("/tokens/" + service, token), "Accept-Encoding: gzip, deflate");
			case "any type" -> request("GET", "/tokens/" + service, token, "*/*");
			case "no accept" -> request("GET", "/tokens/" + service, token, null);
			case "no accept, http/1.0" ->
				List.of("GET /tokens/" + service + " HTTP/1.0", "Authorization: Bearer " + token);
			default -> get("/tokens/" + service, token);
		});
		assertThat(fast.header("Content-Type")).isEqualTo("application/json");
		assertThat(fast.header("X-Content-Type-Options")).isEqualTo("nosniff");
		assertThat(fast.bodyText()).contains("\"service\":\"" + service + "\"");
		// stale once another test has moved the virtual clock past the token's
		// refreshAfter
		String outcome = Boolean.parseBoolean(fast.header("Token-Stale")) ? "stale" : "hit";
		assertThat(count(service, "hit") + count(service, "stale")).as("both requests counted")
			.isEqualTo(hits + stale + 2);
		assertThat(count(service, outcome)).as("both counted as " + outcome)
			.isEqualTo((outcome.equals("hit") ? hits : stale) + 2);
	}

	/**
	 * Issue 15, item 2: the request id comes back from both paths as the first header,
	 * the caller's own when it sent a valid one, else a new one for each request.
	 */
	@Test
	void bothPathsAnswerWithTheCallersRequestIdOrANewOneFirst() {
		warm("spare-3");
		String token = newCaller();
		Sent full = send(with(get("/tokens/spare-3", token), "X-Request-Id: order-7f3a"));
		Sent fast = send(with(get("/tokens/spare-3", token), "X-Request-Id: order-7f3a"));
		Sent fastWithout = send(get("/tokens/spare-3", token));
		Sent fastInvalid = send(with(get("/tokens/spare-3", token), "X-Request-Id: not valid!"));

		assertThat(full.passedOn()).isTrue();
		assertThat(List.of(fast, fastWithout, fastInvalid))
			.allSatisfy((sent) -> assertThat(sent.answeredByFastPath()).isTrue());
		for (Sent sent : List.of(full, fast)) {
			assertThat(sent.response().header("X-Request-Id")).isEqualTo("order-7f3a");
			assertThat(sent.response().head().split("\r\n")[1]).isEqualTo("X-Request-Id: order-7f3a");
		}
		assertThat(fastWithout.response().header("X-Request-Id")).matches("[0-9a-f]{32}");
		assertThat(fastInvalid.response().header("X-Request-Id")).matches("[0-9a-f]{32}")
			.isNotEqualTo(fastWithout.response().header("X-Request-Id"));
	}

	@Test
	void keepAliveConnectionsMixBothPathsWithIdenticalAnswers() {
		warm("spare-1");
		String token = newCaller();
		int before = this.passedOn.get();
		List<RawHttp.Response> responses = this.http.exchange(List.of(get("/tokens/spare-1", token),
				get("/tokens/spare-1", token), with(get("/tokens/spare-1", token), "Connection: close")));
		assertThat(this.passedOn.get() - before).as("only the first took the full chain").isEqualTo(1);
		assertThat(responses.get(1).comparable()).isEqualTo(responses.get(0).comparable());
		assertThat(responses.get(2).status()).isEqualTo(200);
		assertThat(responses.get(2).body()).isEqualTo(responses.get(0).body());
	}

	/**
	 * Name, method, path, Accept, extra header lines, the full chain's status, whether
	 * the controller served a hit.
	 */
	static Stream<Arguments> passedOn() {
		return Stream.of(
				Arguments.of("dot segment", "GET", "/tokens/../tokens/spare-2", "application/json", List.of(), 400,
						false),
				Arguments.of("path parameter", "GET", "/tokens/spare-2;a=b", "application/json", List.of(), 400, false),
				Arguments.of("double slash", "GET", "/tokens//spare-2", "application/json", List.of(), 400, false),
				Arguments.of("encoded slash", "GET", "/tokens/spare%2F2", "application/json", List.of(), 400, false),
				Arguments.of("encoded letter", "GET", "/tokens/spar%65-2", "application/json", List.of(), 200, true),
				Arguments.of("trailing slash", "GET", "/tokens/spare-2/", "application/json", List.of(), 404, false),
				Arguments.of("other case", "GET", "/tokens/SPARE-2", "application/json", List.of(), 404, false),
				Arguments.of("unknown service", "GET", "/tokens/no-such-service", "application/json", List.of(), 404,
						false),
				Arguments.of("invalid name", "GET", "/tokens/-spare", "application/json", List.of(), 400, false),
				Arguments.of("status", "GET", "/tokens/spare-2/status", "application/json", List.of(), 200, false),
				Arguments.of("query minTtl", "GET", "/tokens/spare-2?minTtl=0", "application/json", List.of(), 200,
						true),
				Arguments.of("empty query", "GET", "/tokens/spare-2?", "application/json", List.of(), 200, true),
				Arguments.of("other query", "GET", "/tokens/spare-2?x=1", "application/json", List.of(), 200, true),
				Arguments.of("HEAD", "HEAD", "/tokens/spare-2", "application/json", List.of(), 200, true),
				Arguments.of("POST", "POST", "/tokens/spare-2", "application/json", List.of("Content-Length: 0"), 405,
						false),
				Arguments.of("text/plain", "GET", "/tokens/spare-2", "text/plain", List.of(), 200, true),
				Arguments.of("any type with a quality", "GET", "/tokens/spare-2", "*/*;q=0.8", List.of(), 200, true),
				Arguments.of("any type, two accept headers", "GET", "/tokens/spare-2", "*/*", List.of("Accept: */*"),
						200, true),
				Arguments.of("any application type", "GET", "/tokens/spare-2", "application/*", List.of(), 200, true),
				Arguments
					.of("text/plain, then any type", "GET", "/tokens/spare-2", "text/plain, */*", List.of(), 200, true),
				Arguments.of("empty accept", "GET", "/tokens/spare-2", "", List.of(), 200, true),
				Arguments.of("accept list", "GET", "/tokens/spare-2", "application/json, text/plain", List.of(), 200,
						true),
				Arguments.of("accept charset param", "GET", "/tokens/spare-2", "application/json;charset=UTF-8",
						List.of(), 200, true),
				Arguments.of("two accept headers", "GET", "/tokens/spare-2", "application/json",
						List.of("Accept: text/plain"), 200, true),
				Arguments.of("if-none-match", "GET", "/tokens/spare-2", "application/json", List.of("If-None-Match: *"),
						200, true),
				Arguments.of("if-modified-since", "GET", "/tokens/spare-2", "application/json",
						List.of("If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"), 200, true),
				Arguments.of("range", "GET", "/tokens/spare-2", "application/json", List.of("Range: bytes=0-3"), 200,
						true));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("passedOn")
	void everythingButACleanHitTakesTheFullChainUntouched(String name, String method, String path, String accept,
			List<String> extra, int expectedStatus, boolean countedHit) {
		warm("spare-2");
		String token = newCaller();
		assertThat(send(get("/tokens/spare-2", token)).passedOn()).isTrue();
		assertThat(send(get("/tokens/spare-2", token)).answeredByFastPath()).as("the token is verified and cached")
			.isTrue();
		double hits = count("spare-2", "hit") + count("spare-2", "stale");

		Sent sent = send(with(request(method, path, token, accept), extra.toArray(String[]::new)));

		assertThat(sent.answeredByFastPath()).as(name + " is not answered by the fast path").isFalse();
		assertThat(sent.passedOn() || sent.response().status() == 400)
			.as(name + " goes down the full chain, or Tomcat refuses it")
			.isTrue();
		assertThat(sent.response().status()).as(name).isEqualTo(expectedStatus);
		assertThat(count("spare-2", "hit") + count("spare-2", "stale"))
			.as("counted only by the controller, for its own 200s")
			.isEqualTo(hits + (countedHit ? 1 : 0));
	}

	@Test
	void aNeverSeenForgedOrAlteredTokenGoesToTheFullChainWhichRefusesIt() {
		warm("spare-3");
		String token = newCaller();
		send(get("/tokens/spare-3", token));
		assertThat(send(get("/tokens/spare-3", token)).answeredByFastPath()).isTrue();
		int at = token.length() - 10; // inside the signature, a character whose bits all
										// count
		String altered = token.substring(0, at) + ((token.charAt(at) == 'A') ? 'B' : 'A') + token.substring(at + 1);
		String otherPayload = token.substring(0, token.indexOf('.') + 1) + "eyJzdWIiOiJhcHAifQ"
				+ token.substring(token.lastIndexOf('.'));

		for (String forged : List.of(altered, otherPayload, token + "x", "not-a-jwt")) {
			Sent sent = send(get("/tokens/spare-3", forged));
			assertThat(sent.passedOn()).isTrue();
			assertThat(sent.response().status()).isEqualTo(401);
			assertThat(sent.response().header("Content-Type")).startsWith("application/problem+json");
		}
		Sent spaced = send(List.of("GET /tokens/spare-3 HTTP/1.1", "Host: localhost", "Accept: application/json",
				"Authorization: Bearer  " + token));
		assertThat(spaced.passedOn()).isTrue();
		assertThat(spaced.response().status()).isEqualTo(401);
		Sent twice = send(with(get("/tokens/spare-3", token), "Authorization: Bearer " + token));
		assertThat(twice.passedOn()).as("two Authorization headers").isTrue();
		Sent none = send(get("/tokens/spare-3", null));
		assertThat(none.passedOn()).isTrue();
		assertThat(none.response().status()).isEqualTo(401);
		assertThat(none.response().header("WWW-Authenticate")).isEqualTo("Bearer");
		Sent basic = send(List.of("GET /tokens/spare-3 HTTP/1.1", "Host: localhost", "Accept: application/json",
				"Authorization: Basic YXBwOnNlY3JldA=="));
		assertThat(basic.passedOn()).isTrue();
	}

	@Test
	void aDeniedCallerIsLeftToTheControllerEvenWithAVerifiedToken() {
		warm("spare-4");
		String stranger = newCaller("stranger", Duration.ofHours(1));
		Sent first = send(get("/tokens/spare-4", stranger));
		Sent second = send(get("/tokens/spare-4", stranger));

		assertThat(first.passedOn()).isTrue();
		assertThat(second.passedOn()).as("verified, but not granted: the full chain answers").isTrue();
		assertThat(second.response().status()).isEqualTo(403);
		assertThat(second.response().header("Content-Type")).startsWith("application/problem+json");
		assertThat(second.response().comparable()).isEqualTo(first.response().comparable());
	}

	@Test
	void aCacheMissTakesTheFullChainWhichFetchesThenTheFastPathServes() {
		String service = "spare-5";
		double misses = count(service, "miss");
		String token = newCaller();
		send(get("/tokens/v1-weu", token)); // the token is now verified; spare-5 is not
											// cached
		Sent miss = send(get("/tokens/" + service, token));
		assertThat(miss.passedOn()).as("nothing cached: the full chain fetches").isTrue();
		assertThat(miss.response().status()).isEqualTo(200);
		assertThat(count(service, "miss")).isEqualTo(misses + 1);

		Sent hit = send(get("/tokens/" + service, token));
		assertThat(hit.answeredByFastPath()).isTrue();
		assertThat(hit.response().body()).isEqualTo(miss.response().body());
		assertThat(hit.response().headWithoutDate()).isEqualTo(miss.response().headWithoutDate());
	}

	@Test
	void anExpiredCachedVerificationGoesBackToTheFullChain() {
		warm("spare-6");
		String token = newCaller("app", Duration.ofMinutes(12));
		send(get("/tokens/spare-6", token));
		assertThat(send(get("/tokens/spare-6", token)).answeredByFastPath()).isTrue();

		CLOCK.advance(Duration.ofMinutes(5)); // the verification's 5-minute reuse ends
		Sent reverified = send(get("/tokens/spare-6", token));
		assertThat(reverified.passedOn()).isTrue();
		assertThat(reverified.response().status()).isEqualTo(200);
		assertThat(send(get("/tokens/spare-6", token)).answeredByFastPath()).isTrue();

		String shortLived = newCaller("app", Duration.ofMinutes(2));
		send(get("/tokens/spare-6", shortLived));
		assertThat(send(get("/tokens/spare-6", shortLived)).answeredByFastPath()).isTrue();
		CLOCK.advance(Duration.ofMinutes(2)); // its exp: the fast path stops (the full
												// chain still allows 60 s of skew)
		assertThat(send(get("/tokens/spare-6", shortLived)).passedOn()).isTrue();
		CLOCK.advance(Duration.ofMinutes(2));
		Sent expired = send(get("/tokens/spare-6", shortLived));
		assertThat(expired.passedOn()).isTrue();
		assertThat(expired.response().status()).isEqualTo(401);
		assertThat(expired.response().header("WWW-Authenticate")).startsWith("Bearer error=\"invalid_token\"");
	}

	@Test
	void aStaleTokenIsServedStaleByBothPathsAndCountedAsStale() {
		String service = "spare-7";
		warm(service);
		CLOCK.advance(Duration.ofMinutes(31)); // past refreshAfter (30 min); no scheduler
												// runs in this test
		double stale = count(service, "stale");
		double hits = count(service, "hit");

		RawHttp.Response fast = assertFastPathAnswersAsTheFullChain(service,
				(token) -> get("/tokens/" + service, token));

		assertThat(fast.header("Token-Stale")).isEqualTo("true");
		assertThat(fast.bodyText()).contains("\"stale\":true");
		assertThat(count(service, "stale")).isEqualTo(stale + 2);
		assertThat(count(service, "hit")).isEqualTo(hits);
	}

	@Test
	void theFastPathIsTimedInTheServerObservationsOwnTimer() throws InterruptedException {
		long initial = timerCount();
		warm("spare-8"); // the full chain: its observation records the 200 under the
							// mapping
		String token = newCaller();
		assertThat(send(get("/tokens/spare-8", token)).passedOn()).isTrue(); // the full
																				// chain
																				// again

		assertThat(send(get("/tokens/spare-8", token)).answeredByFastPath()).isTrue();

		assertThat(awaitTimerCount(initial + 3)).as("two full-chain answers and the fast path's")
			.isEqualTo(initial + 3);
		assertThat(
				this.meters.find("http.server.requests").tag("uri", "/tokens/{service}").tag("status", "200").timers())
			.extracting((t) -> t.getId().getTags().toString())
			.as("one meter for both paths: the same name and tags")
			.hasSize(1);
		Timer timer = this.meters.find("http.server.requests")
			.tag("uri", "/tokens/{service}")
			.tag("status", "200")
			.timer();
		assertThat(timer.getId().getTags()).extracting("key")
			.containsExactlyInAnyOrder("application", "error", "exception", "method", "outcome", "status", "uri");
	}

	/**
	 * The garbage a fast-path answer leaves on the server's threads, on kept-alive
	 * connections as a load generator keeps them. Through the servlet API alone, Tomcat
	 * decoded the caller's token into strings (then hashed from yet another copy) and
	 * encoded every response header with a new encoder, several kilobytes a request; read
	 * and written as bytes through Tomcat's own objects, what is left is Tomcat's own
	 * per-request work. Runs on either thread model (platform workers, or virtual threads
	 * whose allocations count on their carriers).
	 */
	@Test
	void aFastPathAnswerLeavesLittleGarbageOnTheServersThreads() throws IOException {
		warm("spare-9");
		String token = newCaller();
		assertThat(send(get("/tokens/spare-9", token)).passedOn()).isTrue();
		byte[] request = String.join("\r\n", get("/tokens/spare-9", token))
			.concat("\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
		int passedOn = this.passedOn.get();
		answerOnKeptAliveConnections(request, 2_000); // warm-up: the JIT compiles the
														// path
		long before = serverThreadsAllocatedBytes();
		int requests = answerOnKeptAliveConnections(request, 4_000);
		long perRequest = (serverThreadsAllocatedBytes() - before) / requests;

		assertThat(this.passedOn.get()).as("every request answered by the fast path").isEqualTo(passedOn);
		assertThat(perRequest).as("bytes allocated per fast-path answer on the server's threads")
			.isLessThan(MAX_BYTES_PER_FAST_PATH_ANSWER);
	}

	/**
	 * Twice what a fast-path answer allocates once compiled, with its connection's share
	 * (room for a JVM that has not compiled everything yet), a third of what it allocated
	 * when the servlet API decoded and encoded its headers.
	 */
	static final long MAX_BYTES_PER_FAST_PATH_ANSWER = 3_000;

	/**
	 * Send the request, 50 times per connection (under Tomcat's keep-alive limit), and
	 * read each answer.
	 * @return the number of requests answered
	 */
	private int answerOnKeptAliveConnections(byte[] request, int count) throws IOException {
		int answered = 0;
		while (answered < count) {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5000);
				socket.setSoTimeout(20_000);
				OutputStream out = socket.getOutputStream();
				InputStream in = new BufferedInputStream(socket.getInputStream());
				for (int i = 0; i < 50 && answered < count; i++, answered++) {
					out.write(request);
					out.flush();
					String head = readHead(in);
					assertThat(head).startsWith("HTTP/1.1 200 ");
					int length = Integer.parseInt(head.replaceAll("(?s).*\r\nContent-Length: (\\d+)\r\n.*", "$1"));
					assertThat(in.readNBytes(length)).hasSize(length);
				}
			}
		}
		return answered;
	}

	private static String readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("connection closed in the response head");
			}
			head.write(b);
			matched = ((b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)))
					? matched + 1 : ((b == '\r') ? 1 : 0);
		}
		return head.toString(StandardCharsets.ISO_8859_1);
	}

	/**
	 * Bytes allocated so far by the threads that serve requests: Tomcat's connector
	 * threads ({@code http-nio-*}: acceptor, poller and, with platform threads, the
	 * workers) and the carriers of virtual threads (whose allocations count on their
	 * carrier).
	 */
	private static long serverThreadsAllocatedBytes() {
		com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
		long total = 0;
		for (java.lang.management.ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
			if (thread != null && (thread.getThreadName().startsWith("http-nio-")
					|| thread.getThreadName().startsWith("ForkJoinPool-"))) {
				total += Math.max(0, threads.getThreadAllocatedBytes(thread.getThreadId()));
			}
		}
		return total;
	}

	/**
	 * The count of the controller's 200 timer once it reaches {@code expected}, or after
	 * 5 s (observations stop after the response).
	 */
	private long awaitTimerCount(long expected) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
		long count = timerCount();
		while (count < expected && System.nanoTime() < deadline) {
			Thread.sleep(10);
			count = timerCount();
		}
		return count;
	}

	private long timerCount() {
		return this.meters.find("http.server.requests")
			.tag("uri", "/tokens/{service}")
			.tag("status", "200")
			.timers()
			.stream()
			.mapToLong(Timer::count)
			.sum();
	}

}
