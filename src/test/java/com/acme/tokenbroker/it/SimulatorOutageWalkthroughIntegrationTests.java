package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TokenRequestMetric;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's "Try an outage", step by step, on the profiles it names
 * ({@code simulator,simulator-short}) and on virtual time: the background refresher's
 * one-second checks are run by the test, second by second, between the README's polls
 * every 15 s. The region goes down, {@code fraud-scoring} is served stale, then refused
 * with 503 and {@code Retry-After}, and served again once the fault is cleared, as the
 * token answers, the status endpoint and the Prometheus scrape show; {@code recommender},
 * in eastus, stays fresh throughout.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.refresh-check-interval=0" })
@ActiveProfiles({ "simulator", "simulator-short" })
@Import(SimulatorOutageWalkthroughIntegrationTests.VirtualTime.class)
class SimulatorOutageWalkthroughIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	/** The README polls this often. */
	static final Duration POLL = Duration.ofSeconds(15);

	/** The README's promise: the whole outage, from the fault to recovery. */
	static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

	static final String FAULT = "/simulator/regions/westeurope/fault";

	private static final HttpClient CLIENT = HttpClient.newHttpClient();

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	SimulatedWorkspace simulator;

	@Autowired
	TokenCache cache;

	@Autowired
	MeterRegistry meters;

	Http api;

	@TestConfiguration(proxyBeanMethods = false)
	static class VirtualTime {

		@Bean
		@Primary
		MutableClock virtualClock() {
			return CLOCK;
		}

	}

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
		await().until(() -> this.cache.states().iterator().hasNext()
				&& StreamSupport.stream(this.cache.states().spliterator(), false)
					.allMatch((state) -> state.lastSuccessAt() != null));
	}

	@Test
	void theReadmeStepsAreTheOnesThisTestTakes() throws IOException {
		String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
		String section = readme.substring(readme.indexOf("## Try an outage"));
		section = section.substring(0, section.indexOf("\n## ", 1));

		assertThat(section).contains("-Dspring-boot.run.profiles=simulator,simulator-short")
			.contains("curl -s -X POST 'http://127.0.0.1:8080/simulator/caller-tokens?subject=demo-app'")
			.contains("curl -s -w '\\n' -d fault=down http://127.0.0.1:8080" + FAULT)
			.contains("curl -s -w '\\n' -d fault=none http://127.0.0.1:8080" + FAULT)
			.contains("-H \"Authorization: Bearer $CALLER\" http://127.0.0.1:8080/tokens/fraud-scoring \\")
			.contains("-H \"Authorization: Bearer $CALLER\" http://127.0.0.1:8080/tokens/fraud-scoring/status \\")
			.contains("curl -s http://127.0.0.1:8081/actuator/prometheus")
			.contains("sleep " + POLL.toSeconds())
			.contains("poll 12")
			.contains("poll 3");
		assertThat(section.lines().count()).as("short: the long story is in docs/outages.md").isLessThan(30);
	}

	@Test
	void aRegionGoingDownIsServedStaleThenRefusedWithRetryAfterThenRecovers() {
		String caller = callerToken();
		JsonNode first = this.api.get("/tokens/fraud-scoring", caller).json();
		String token = first.get("accessToken").stringValue();
		Instant fetchedAt = Instant.parse(first.get("fetchedAt").stringValue());
		Instant refreshBy = Instant.parse(first.get("refreshBy").stringValue());
		Instant expiresAt = Instant.parse(first.get("expiresAt").stringValue());
		Instant hardExpiry = expiresAt.minusSeconds(30);
		assertThat(Duration.between(fetchedAt, refreshBy)).as("simulator-short's refresh-after")
			.isBetween(Duration.ofSeconds(59), Duration.ofSeconds(61));
		assertThat(Duration.between(fetchedAt, expiresAt)).as("simulator-short's expires-after")
			.isBetween(Duration.ofSeconds(179), Duration.ofSeconds(181));
		Instant start = CLOCK.instant();

		Http.Response down = postForm(FAULT, "fault=down");

		assertThat(down.status()).isEqualTo(200);
		assertThat(down.body()).isEqualTo("{\"region\":\"westeurope\",\"fault\":\"down\"}");

		// poll 12: fresh, then stale, then 503 with Retry-After
		Instant firstStale = null;
		Instant firstRefused = null;
		boolean breakerOpened = false;
		for (int poll = 0; poll < 12 && firstRefused == null; poll++) {
			Instant now = CLOCK.instant();
			Http.Response answer = this.api.get("/tokens/fraud-scoring", caller);
			String state = status(caller, "fraud-scoring").get("state").stringValue();
			String scrape = scrape();
			breakerOpened |= breakerIs(scrape, "open");
			if (now.isBefore(hardExpiry)) {
				assertThat(answer.status()).as("at %s", now).isEqualTo(200);
				assertThat(answer.json().get("accessToken").stringValue()).isEqualTo(token);
				boolean stale = !now.isBefore(refreshBy);
				assertThat(answer.json().get("stale").booleanValue()).isEqualTo(stale);
				assertThat(answer.header("Token-Stale")).isEqualTo(Boolean.toString(stale));
				assertThat(state).isEqualTo(stale ? "stale" : "fresh");
				if (stale && firstStale == null) {
					firstStale = now;
					assertThat(TokenRequestMetric.count(this.meters, "fraud-scoring", "stale")).isEqualTo(1);
					assertThat(scrape).contains("outcome=\"stale\"");
				}
			}
			else {
				firstRefused = now;
				assertThat(answer.status()).as("at %s", now).isEqualTo(503);
				assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
				assertThat(answer.json().get("type").stringValue()).startsWith("urn:token-broker:problem:upstream-");
				assertThat(Long.parseLong(answer.header("Retry-After"))).isBetween(1L, 25L);
				assertThat(answer.body()).doesNotContain(token);
				assertThat(state).isEqualTo("expired");
				assertThat(TokenRequestMetric.count(this.meters, "fraud-scoring", "error")).isEqualTo(1);
				assertThat(scrape).contains("outcome=\"error\"");
			}
			assertRecommenderIsFresh(caller);
			step(POLL);
		}
		assertThat(firstStale).as("served stale").isNotNull();
		assertThat(Duration.between(start, firstStale)).as("the README's \"from about 1 min\"")
			.isLessThanOrEqualTo(Duration.ofSeconds(75));
		assertThat(firstRefused).as("refused within the README's 12 polls").isNotNull();
		assertThat(breakerOpened).as("the westeurope breaker opened").isTrue();
		assertThat(Duration.between(start, firstRefused)).as("the README's \"by 2 min 30 s\"")
			.isLessThanOrEqualTo(Duration.ofSeconds(150));

		Http.Response none = postForm(FAULT, "fault=none");

		assertThat(none.status()).isEqualTo(200);
		assertThat(none.body()).isEqualTo("{\"region\":\"westeurope\",\"fault\":\"none\"}");

		// poll 3: served again, fresh
		Instant fixed = CLOCK.instant();
		Http.Response recovered = null;
		for (int poll = 0; poll < 3; poll++) {
			step(POLL);
			Http.Response answer = this.api.get("/tokens/fraud-scoring", caller);
			if (answer.status() == 200) {
				recovered = answer;
				break;
			}
			assertThat(answer.status()).isEqualTo(503);
			assertThat(answer.header("Retry-After")).isNotNull();
		}
		assertThat(recovered).as("served within 3 polls of the fix").isNotNull();
		assertThat(Duration.between(fixed, CLOCK.instant())).isLessThanOrEqualTo(Duration.ofSeconds(30));
		assertThat(recovered.json().get("stale").booleanValue()).isFalse();
		assertThat(recovered.header("Token-Stale")).isEqualTo("false");
		assertThat(recovered.json().get("accessToken").stringValue()).isNotEqualTo(token);
		JsonNode status = status(caller, "fraud-scoring");
		assertThat(status.get("state").stringValue()).isEqualTo("fresh");
		assertThat(status.get("consecutiveFailures").intValue()).isZero();
		assertThat(status.get("breaker").get("state").stringValue()).isEqualTo("CLOSED");
		assertThat(breakerIs(scrape(), "closed")).isTrue();
		assertThat(TokenRequestMetric.count(this.meters, "fraud-scoring", "hit")).isPositive();
		assertThat(Duration.between(start, CLOCK.instant())).as("the outage, fault to recovery")
			.isLessThan(FIVE_MINUTES);
	}

	/**
	 * The README's {@code sleep 15} while the broker runs: its refresher looks for due
	 * refreshes every second.
	 */
	private void step(Duration duration) {
		for (long second = 0; second < duration.toSeconds(); second++) {
			CLOCK.advance(Duration.ofSeconds(1));
			for (CompletableFuture<BrokeredToken> refresh : this.cache.runDueRefreshes().values()) {
				try {
					refresh.get(20, TimeUnit.SECONDS);
				}
				catch (java.util.concurrent.ExecutionException ex) {
					// a failed refresh: the test looks at what callers get
				}
				catch (Exception ex) {
					throw new AssertionError("a refresh did not complete within 20 s", ex);
				}
			}
		}
	}

	private void assertRecommenderIsFresh(String caller) {
		Http.Response recommender = this.api.get("/tokens/recommender", caller);
		assertThat(recommender.status()).isEqualTo(200);
		assertThat(recommender.json().get("stale").booleanValue()).as("eastus is unaffected").isFalse();
	}

	private String callerToken() {
		Http.Response response = this.api.post("/simulator/caller-tokens?subject=demo-app");
		assertThat(response.status()).isEqualTo(200);
		return response.json().get("accessToken").stringValue();
	}

	private JsonNode status(String caller, String service) {
		Http.Response status = this.api.get("/tokens/" + service + "/status", caller);
		assertThat(status.status()).isEqualTo(200);
		return status.json();
	}

	private String scrape() {
		Http.Response metrics = new Http(this.managementPort).get("/actuator/prometheus", null, "text/plain");
		assertThat(metrics.status()).isEqualTo(200);
		return metrics.body();
	}

	/** What the README's grep shows: the westeurope breaker's state series at 1. */
	private static boolean breakerIs(String scrape, String state) {
		return scrape.lines()
			.filter((line) -> line.startsWith("resilience4j_circuitbreaker_state{")
					&& line.contains("name=\"westeurope\"") && line.contains("state=\"" + state + "\""))
			.anyMatch((line) -> line.endsWith(" 1.0") || line.endsWith(" 1"));
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

}
