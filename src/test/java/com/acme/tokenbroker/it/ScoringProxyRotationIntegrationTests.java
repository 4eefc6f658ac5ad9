package com.acme.tokenbroker.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.keys.KeyRotation;
import com.acme.tokenbroker.keys.KeyRotator;
import com.acme.tokenbroker.simulator.AuthMode;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.FastPolls;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Scorers;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, item 1, "done when": callers scoring continuously through the proxy see not a
 * single failed call while a key rotation runs end to end, nor while a service's auth
 * mode switches between token, key and Entra-token auth. The scoring endpoint is the
 * simulator's, which checks every credential.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true)
@Import(FastPolls.class)
class ScoringProxyRotationIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("rot-v1", "weu", ServiceKind.WEBSERVICE)
		.add("rot-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.add("switch-v1", "weu", ServiceKind.WEBSERVICE)
		.add("switch-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.build();

	/**
	 * Past {@code broker.tokens.min-refresh-interval}, so a refusal may fetch at once.
	 */
	static final Duration PAST_MIN_REFRESH_INTERVAL = Duration.ofSeconds(31);

	static final SimulatedWorkspace SIMULATOR = launch();

	private static SimulatedWorkspace launch() {
		SimulatedWorkspace simulator = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
				SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)).asyncRegeneration(2));
		for (String service : List.of("rot-v1", "rot-v2")) {
			simulator.setAuthMode("ws-weu", service, AuthMode.KEY);
		}
		return simulator;
	}

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.access.admin-rules[0].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.admin-rules[0].subjects[0]", () -> "ops-admin");
		registry.add("broker.access.admin-rules[0].services[0]", () -> "*");
	}

	@LocalServerPort
	int port;

	@Autowired
	KeyRotator rotator;

	@Autowired
	Http api;

	final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	/**
	 * What the failed calls answered, for the assertion's message; never a credential.
	 */
	final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();

	@ParameterizedTest
	@ValueSource(strings = { "rot-v1", "rot-v2" })
	void aKeyRotationEndToEndFailsNoCallThroughTheProxy(String service) throws Exception {
		String before = SIMULATOR.keys("ws-weu", service).primaryKey();
		Scorers scorers = Scorers.start(6, Duration.ofSeconds(30),
				(index, stop, failures, iterations) -> scoreContinuously(service, stop, failures, iterations));
		try {
			scorers.awaitIterations(30);
			Http.Response started = this.api.postWithBearer("/admin/services/" + service + "/keys/rotate",
					caller("ops-admin"));
			assertThat(started.status()).as(started::body).isEqualTo(202);
			KeyRotation rotation = this.rotator.rotation(ServiceName.of(service));
			await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.WAITING);
			scorers.awaitIterations(30);
			CLOCK.set(rotation.graceUntil());
			scorers.awaitIterations(30);
			this.rotator.advance();
			await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.SUCCEEDED);
			scorers.awaitIterations(30);
		}
		finally {
			scorers.stop();
		}
		assertThat(scorers.failures()).as("failed scoring calls through the proxy: %s", this.failed).isZero();
		assertThat(SIMULATOR.keys("ws-weu", service).primaryKey()).as("the retired key was regenerated")
			.isNotEqualTo(before);
	}

	@ParameterizedTest
	@ValueSource(strings = { "switch-v1", "switch-v2" })
	void authModeSwitchesFailNoCallThroughTheProxy(String service) throws Exception {
		List<AuthMode> modes = service.endsWith("-v2") ? List.of(AuthMode.KEY, AuthMode.AAD_TOKEN, AuthMode.AML_TOKEN,
				AuthMode.AAD_TOKEN, AuthMode.KEY, AuthMode.AML_TOKEN) : List.of(AuthMode.KEY, AuthMode.AML_TOKEN);
		SIMULATOR.setAuthMode("ws-weu", service, AuthMode.AML_TOKEN);
		Scorers scorers = Scorers.start(6, Duration.ofSeconds(30),
				(index, stop, failures, iterations) -> scoreContinuously(service, stop, failures, iterations));
		try {
			scorers.awaitIterations(30);
			for (AuthMode mode : modes) {
				// a service is redeployed in another mode long after the broker last
				// fetched its credential
				CLOCK.advance(PAST_MIN_REFRESH_INTERVAL);
				SIMULATOR.setAuthMode("ws-weu", service, mode);
				scorers.awaitIterations(30);
			}
		}
		finally {
			scorers.stop();
		}
		assertThat(scorers.failures()).as("failed scoring calls through the proxy: %s", this.failed).isZero();
	}

	private void scoreContinuously(String service, AtomicBoolean stop, AtomicInteger failures, AtomicLong iterations) {
		String bearer = caller("app");
		while (!stop.get()) {
			try {
				HttpResponse<String> answer = this.client
					.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/services/" + service))
						.timeout(Duration.ofSeconds(20))
						.header("Content-Type", "application/json")
						.header("Authorization", "Bearer " + bearer)
						.POST(HttpRequest.BodyPublishers.ofString("{\"data\":[[1,2,3]]}"))
						.build(), HttpResponse.BodyHandlers.ofString());
				if (answer.statusCode() != 200) {
					failures.incrementAndGet();
					note(answer.statusCode() + " " + answer.body());
				}
			}
			catch (Throwable ex) {
				failures.incrementAndGet();
				note(ex.toString());
			}
			iterations.incrementAndGet();
		}
	}

	private void note(String failure) {
		if (this.failed.size() < 5) {
			this.failed.add(failure);
		}
	}

	private static String caller(String subject) {
		return CallerTokens.mint(SIMULATOR, subject, Duration.ofHours(1));
	}

}
