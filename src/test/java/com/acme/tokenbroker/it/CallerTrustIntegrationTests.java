package com.acme.tokenbroker.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.PassedOnProbe;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11, items 4, 5, 6, 9, 10 and 12, against one broker trusting two issuers (the
 * simulated Entra tenant and the simulated AKS cluster). Every authorization case is sent
 * twice with the same caller token: the first request goes down the full chain (which
 * verifies and caches the token), the second reaches the fast path
 * ({@code CachedTokenFilter}) first; both must give the same answer. A probe filter
 * between the fast path and Spring Security tells which way each request went. Virtual
 * time drives the key-set rate limit.
 */
@SimulatedWorkspaceTest(properties = { "spring.main.cloud-platform=kubernetes", "server.tomcat.connection-timeout=1s",
		"server.tomcat.keep-alive-timeout=1s",
		// A loaded machine must not turn a first fetch into a 503
		"broker.tokens.cold-miss-deadline=30s" })
@Import(PassedOnProbe.class)
class CallerTrustIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final String AUDIENCE = "api://token-broker";

	static final String CLUSTER_AUDIENCE = "token-broker";

	static final String SCORER = "system:serviceaccount:payments:scorer";

	/**
	 * Rules after the test catalog's rules[0] (Entra caller {@code app}: every service).
	 */
	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		// A client-ids rule first for the cluster, whose tokens never carry azp (item 5)
		registry.add("broker.access.rules[1].issuer", SIMULATOR::clusterIssuer);
		registry.add("broker.access.rules[1].client-ids[0]", () -> "client-x");
		registry.add("broker.access.rules[1].services[0]", () -> "spare-9");
		registry.add("broker.access.rules[2].issuer", SIMULATOR::clusterIssuer);
		registry.add("broker.access.rules[2].subjects[0]", () -> SCORER);
		registry.add("broker.access.rules[2].services[0]", () -> "spare-9");
		// Entra callers by client id, role or group (item 5: each claim may be missing)
		registry.add("broker.access.rules[3].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[3].client-ids[0]", () -> "client-x");
		registry.add("broker.access.rules[3].services[0]", () -> "spare-10");
		registry.add("broker.access.rules[4].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[4].roles[0]", () -> "Scorer");
		registry.add("broker.access.rules[4].services[0]", () -> "spare-10");
		registry.add("broker.access.rules[5].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.rules[5].groups[0]", () -> "group-1");
		registry.add("broker.access.rules[5].services[0]", () -> "spare-10");
		// The cluster's tokens may live two days here; Entra's keep the 24 h default
		// (item 10)
		registry.add("broker.access.issuers[1].max-token-lifetime", () -> "48h");
	}

	@LocalServerPort
	int port;

	@Autowired
	PassedOnProbe passedOn;

	@Autowired
	RawHttp http;

	record Sent(RawHttp.Response response, boolean passedOn) {

		int status() {
			return this.response.status();
		}

	}

	Sent send(List<String> request) {
		int before = this.passedOn.get();
		RawHttp.Response response = this.http.send(request);
		return new Sent(response, this.passedOn.get() != before);
	}

	static List<String> get(String path, String token, String... extra) {
		List<String> lines = new ArrayList<>(List.of("GET " + path + " HTTP/1.1", "Host: localhost",
				"Accept: application/json", "Authorization: Bearer " + token));
		lines.addAll(List.of(extra));
		return lines;
	}

	/**
	 * The same request twice with one token; both answers must agree.
	 * @return the second answer (the fast path's when it is a clean, granted, cached hit)
	 */
	Sent twice(String path, String token) {
		Sent full = send(get(path, token));
		Sent second = send(get(path, token));
		assertThat(full.passedOn()).as("a token never seen takes the full chain").isTrue();
		assertThat(second.status()).as("both paths give " + path + " the same status").isEqualTo(full.status());
		assertThat(second.response().header("Content-Type")).isEqualTo(full.response().header("Content-Type"));
		assertThat(second.response().bodyText()).isEqualTo(full.response().bodyText());
		return second;
	}

	/** The JSON of a response, without the chunked encoding's framing. */
	static String json(Sent sent) {
		String body = sent.response().bodyText();
		return body.substring(body.indexOf('{'), body.lastIndexOf('}') + 1);
	}

	static String entraCaller(String subject, Map<String, Object> claims) {
		return SIMULATOR.mintCallerToken(subject, AUDIENCE, withNonce(claims), Duration.ofHours(1));
	}

	/**
	 * A service-account token never presented before: they carry no unique claim, so a
	 * second later than the last.
	 */
	static String clusterCaller(String namespace, String serviceAccount, Duration ttl) {
		CLOCK.advance(Duration.ofSeconds(1));
		return SIMULATOR.mintServiceAccountToken(namespace, serviceAccount, CLUSTER_AUDIENCE, ttl);
	}

	private static Map<String, Object> withNonce(Map<String, Object> claims) {
		Map<String, Object> all = new HashMap<>(claims);
		all.put("nonce", UUID.randomUUID().toString());
		return all;
	}

	/**
	 * Fetch a service's token into the cache, so that a granted second request is a
	 * fast-path hit.
	 */
	void warm(String service) {
		assertThat(send(get("/tokens/" + service, entraCaller("app", Map.of()))).status()).isEqualTo(200);
	}

	// ---- item 4: a rule is bound to its issuer

	@Test
	void aSubjectFromTheOtherIssuerDoesNotMatchARuleWrittenForTheCluster() {
		warm("spare-9");

		Sent cluster = twice("/tokens/spare-9", clusterCaller("payments", "scorer", Duration.ofMinutes(10)));
		Sent entra = twice("/tokens/spare-9", entraCaller(SCORER, Map.of()));

		assertThat(cluster.status()).isEqualTo(200);
		assertThat(cluster.passedOn()).as("granted and cached: the fast path").isFalse();
		assertThat(entra.status()).as("the same sub from Entra").isEqualTo(403);
		assertThat(entra.response().header("Content-Type")).startsWith("application/problem+json");
	}

	// ---- item 5: a missing claim never fails a request

	@Test
	void aClusterTokenWithoutAzpIsMatchedByTheSubjectRuleAfterAClientIdRule() {
		warm("spare-9");

		Sent sent = twice("/tokens/spare-9", clusterCaller("payments", "scorer", Duration.ofMinutes(10)));
		Sent other = twice("/tokens/spare-9", clusterCaller("payments", "other", Duration.ofMinutes(10)));

		assertThat(sent.status()).isEqualTo(200);
		assertThat(other.status()).isEqualTo(403);
	}

	@ParameterizedTest
	@ValueSource(strings = { "sub", "azp", "roles", "groups", "all" })
	void anEntraTokenWithoutAClaimIsDeniedOrGrantedNeverA500(String missing) {
		warm("spare-10");
		Map<String, Object> claims = new HashMap<>();
		claims.put("azp", missing.equals("azp") || missing.equals("all") ? null : "client-y");
		claims.put("roles", missing.equals("roles") || missing.equals("all") ? null : List.of("Reader"));
		claims.put("groups", missing.equals("groups") || missing.equals("all") ? null : List.of("group-2"));
		String subject = missing.equals("sub") || missing.equals("all") ? null : "stranger";

		Sent denied = twice("/tokens/spare-10", entraCaller(subject, claims));
		claims.put("roles", List.of("Scorer"));
		Sent byRole = twice("/tokens/spare-10", entraCaller(subject, claims));
		claims.put("roles", null);
		claims.put("groups", List.of("group-1"));
		Sent byGroup = twice("/tokens/spare-10", entraCaller(subject, claims));
		claims.put("groups", null);
		claims.put("azp", "client-x");
		Sent byClientId = twice("/tokens/spare-10", entraCaller(subject, claims));
		Sent list = twice("/tokens", entraCaller(subject, Map.of()));

		assertThat(denied.status()).isEqualTo(403);
		assertThat(byRole.status()).isEqualTo(200);
		assertThat(byGroup.status()).isEqualTo(200);
		assertThat(byClientId.status()).isEqualTo(200);
		assertThat(byClientId.passedOn()).as("granted and cached: the fast path").isFalse();
		assertThat(list.status()).isEqualTo(200);
		assertThat(list.response().bodyText()).contains("{\"services\":[]}");
	}

	@Test
	void anEntraTokenWithAnAppidInsteadOfAzpIsMatchedByItsClientId() {
		warm("spare-10");
		Map<String, Object> claims = new HashMap<>();
		claims.put("appid", "client-x");

		assertThat(twice("/tokens/spare-10", entraCaller("someone", claims)).status()).isEqualTo(200);
	}

	// ---- item 9: no enumeration of services

	@Test
	void aCallerNotGrantedAServiceGetsThe403WhetherOrNotItExists() {
		warm("spare-9");

		Sent configured = twice("/tokens/v1-weu", clusterCaller("payments", "scorer", Duration.ofMinutes(10)));
		Sent unknown = twice("/tokens/no-such-service", clusterCaller("payments", "scorer", Duration.ofMinutes(10)));
		Sent granted = twice("/tokens/spare-9", clusterCaller("payments", "scorer", Duration.ofMinutes(10)));

		assertThat(configured.status()).isEqualTo(403);
		assertThat(unknown.status()).isEqualTo(403);
		assertThat(json(unknown).replace("no-such-service", "v1-weu")).isEqualTo(json(configured));
		assertThat(granted.status()).isEqualTo(200);
		assertThat(twice("/tokens/no-such-service", entraCaller("app", Map.of())).status())
			.as("a granted pattern (*) matching no configured service")
			.isEqualTo(404);
	}

	// ---- item 10: lifetime and iat

	@Test
	void tokensLivingLongerThanTheIssuersMaximumOrWithoutIatAreRefused() {
		warm("spare-9");
		Map<String, Object> noIat = new HashMap<>();
		noIat.put("iat", null);
		Map<String, Object> futureIat = Map.of("iat", CLOCK.instant().plus(Duration.ofMinutes(10)).getEpochSecond());

		assertThat(send(get("/tokens/spare-9",
				SIMULATOR.mintCallerToken("app", AUDIENCE, withNonce(Map.of()), Duration.ofHours(23))))
			.status()).as("Entra, 23 h").isEqualTo(200);
		assertThat(send(get("/tokens/spare-9",
				SIMULATOR.mintCallerToken("app", AUDIENCE, withNonce(Map.of()), Duration.ofHours(25))))
			.status()).as("Entra, 25 h (default 24 h)").isEqualTo(401);
		assertThat(send(get("/tokens/spare-9", entraCaller("app", noIat))).status()).as("no iat").isEqualTo(401);
		assertThat(send(get("/tokens/spare-9", entraCaller("app", futureIat))).status()).as("iat in the future")
			.isEqualTo(401);
		assertThat(send(get("/tokens/spare-9", clusterCaller("payments", "scorer", Duration.ofHours(47)))).status())
			.as("cluster, 47 h (its max-token-lifetime 48 h)")
			.isEqualTo(200);
		Sent yearLong = send(get("/tokens/spare-9", clusterCaller("payments", "scorer", Duration.ofDays(365))));
		assertThat(yearLong.status()).as("cluster, a year").isEqualTo(401);
		assertThat(yearLong.response().header("WWW-Authenticate")).isEqualTo(
				"Bearer error=\"invalid_token\", error_description=\"The bearer token is not valid for this broker\"");
	}

	// ---- item 6: unknown kids do not drive key-set fetches

	@Test
	void aFloodOfTokensWithUnknownKeyIdsFetchesTheKeySetAtMostTwice() throws Exception {
		assertThat(send(get("/tokens/spare-9", entraCaller("app", Map.of()))).status()).isEqualTo(200);
		long before = SIMULATOR.entraCallCount(Operation.ENTRA_KEYS);
		KeyPair attacker = rsaKeyPair();

		for (int i = 0; i < 500; i++) {
			String forged = signed(attacker, "kid-" + UUID.randomUUID(), SIMULATOR.entraIssuer(), AUDIENCE, "app");
			if (i == 0) {
				SecretLedger.record(forged);
			}
			Sent sent = send(get("/tokens/spare-9", forged));
			assertThat(sent.status()).isEqualTo(401);
			assertThat(sent.response().header("Content-Type")).startsWith("application/problem+json");
		}

		assertThat(SIMULATOR.entraCallCount(Operation.ENTRA_KEYS) - before).as("key-set fetches for 500 unknown kids")
			.isLessThanOrEqualTo(2);
	}

	@Test
	void aRolledSigningKeyIsPickedUpOnceTheRateLimitWindowHasPassed() throws Exception {
		KeyPair attacker = rsaKeyPair();
		for (int i = 0; i < 3; i++) { // whatever the window's state, it is used up now
			send(get("/tokens/spare-9", signed(attacker, "kid-" + i, SIMULATOR.entraIssuer(), AUDIENCE, "app")));
		}
		long before = SIMULATOR.entraCallCount(Operation.ENTRA_KEYS);

		SIMULATOR.rotateCallerSigningKey();
		String rolled = entraCaller("app", Map.of());
		Sent withinWindow = send(get("/tokens/spare-9", rolled));
		CLOCK.advance(Duration.ofSeconds(31));
		Sent afterWindow = send(get("/tokens/spare-9", rolled));

		assertThat(withinWindow.status()).as("the rate limit holds the re-fetch back").isEqualTo(401);
		assertThat(afterWindow.status()).as("the new key is fetched").isEqualTo(200);
		assertThat(SIMULATOR.entraCallCount(Operation.ENTRA_KEYS) - before).as("one fetch, and perhaps a refresh ahead")
			.isBetween(1L, 2L);
		assertThat(send(get("/tokens/spare-9", entraCaller("app", Map.of()))).status()).isEqualTo(200);
	}

	private static KeyPair rsaKeyPair() throws Exception {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
		generator.initialize(2048);
		return generator.generateKeyPair();
	}

	private static String signed(KeyPair key, String kid, String issuer, String audience, String subject)
			throws Exception {
		Instant now = CLOCK.instant();
		SignedJWT jwt = new SignedJWT(
				new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(),
				new JWTClaimsSet.Builder().issuer(issuer)
					.audience(audience)
					.subject(subject)
					.issueTime(Date.from(now))
					.notBeforeTime(Date.from(now))
					.expirationTime(Date.from(now.plusSeconds(600)))
					.build());
		jwt.sign(new RSASSASigner((RSAPrivateKey) key.getPrivate()));
		return jwt.serialize();
	}

	// ---- item 12: forwarded headers and slow clients

	@Test
	void bothPathsIgnoreXForwardedProtoAndAgreeOnHsts() {
		warm("spare-11");
		String token = entraCaller("app", Map.of());

		Sent full = send(get("/tokens/spare-11", token, "X-Forwarded-Proto: https", "X-Forwarded-For: 10.0.0.1"));
		Sent fast = send(get("/tokens/spare-11", token, "X-Forwarded-Proto: https", "X-Forwarded-For: 10.0.0.1"));

		assertThat(full.passedOn()).isTrue();
		assertThat(fast.passedOn()).as("a clean hit: the fast path").isFalse();
		assertThat(fast.response().comparable()).isEqualTo(full.response().comparable());
		assertThat(full.response().header("Strict-Transport-Security")).as("plain HTTP, whatever the header says")
			.isNull();
	}

	@Test
	void aClientSendingHalfARequestLineIsDisconnectedAfterTheConnectionTimeout() throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5000);
			socket.setSoTimeout(15_000);
			OutputStream out = socket.getOutputStream();
			out.write("GET /tokens/spa".getBytes(StandardCharsets.ISO_8859_1));
			out.flush();
			long started = System.nanoTime();

			int read = readOrTimeout(socket.getInputStream());

			Duration held = Duration.ofNanos(System.nanoTime() - started);
			assertThat(read).as("the server closed the connection").isEqualTo(-1);
			assertThat(held).as("after the 1 s connection timeout").isLessThan(Duration.ofSeconds(10));
		}
	}

	@Test
	void anIdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws IOException {
		warm("spare-12");
		String token = entraCaller("app", Map.of());
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5000);
			socket.setSoTimeout(15_000);
			OutputStream out = socket.getOutputStream();
			out.write((String.join("\r\n", get("/tokens/spare-12", token)) + "\r\n\r\n")
				.getBytes(StandardCharsets.ISO_8859_1));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] head = new byte[12];
			assertThat(in.readNBytes(head, 0, 12)).isEqualTo(12);
			assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
			long started = System.nanoTime();

			int read;
			do {
				read = readOrTimeout(in);
			}
			while (read >= 0 && read != Integer.MIN_VALUE);

			assertThat(read).as("the server closed the idle connection").isEqualTo(-1);
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
		}
	}

	/**
	 * @return the byte read, -1 at the end of the stream, {@link Integer#MIN_VALUE} when
	 * the socket timed out
	 */
	private static int readOrTimeout(InputStream in) throws IOException {
		try {
			return in.read();
		}
		catch (SocketTimeoutException ex) {
			return Integer.MIN_VALUE;
		}
	}

}
