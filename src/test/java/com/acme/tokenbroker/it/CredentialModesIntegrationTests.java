package com.acme.tokenbroker.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.keys.KeyRotation;
import com.acme.tokenbroker.keys.KeyRotator;
import com.acme.tokenbroker.simulator.AuthMode;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.FastPolls;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Scorers;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.token.TokenCache;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every auth mode behind one endpoint, proven by scoring: for token, key and Entra-token
 * services the credential the broker hands out is accepted by the simulated service's
 * scoring endpoint; a mode switch is followed; keys rotate while callers score without a
 * single failure, and a rotation failing at any step leaves a working key served.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true)
@ExtendWith(OutputCaptureExtension.class)
@Import(FastPolls.class)
class CredentialModesIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE)
		.add("key-v1", "weu", ServiceKind.WEBSERVICE)
		.add("key-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.add("aad-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.add("switch-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.add("switch-key-v1", "weu", ServiceKind.WEBSERVICE)
		.add("rot-v1", "weu", ServiceKind.WEBSERVICE)
		.add("rot-v2", "weu", ServiceKind.ONLINE_ENDPOINT)
		.add("rot-fail", "weu", ServiceKind.WEBSERVICE)
		.build();

	static final SimulatedWorkspace SIMULATOR = launch();

	private static SimulatedWorkspace launch() {
		SimulatedWorkspace simulator = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
				SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)).asyncRegeneration(2));
		for (String service : List.of("key-v1", "key-v2", "switch-key-v1", "rot-v1", "rot-v2", "rot-fail")) {
			simulator.setAuthMode("ws-weu", service, AuthMode.KEY);
		}
		simulator.setAuthMode("ws-weu", "aad-v2", AuthMode.AAD_TOKEN);
		return simulator;
	}

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.access.admin-rules[0].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.admin-rules[0].subjects[0]", () -> "ops-admin");
		registry.add("broker.access.admin-rules[0].services[0]", () -> "*");
	}

	@Autowired
	TokenCache cache;

	@Autowired
	KeyRotator rotator;

	@Autowired
	CircuitBreakers breakers;

	@Autowired
	Http api;

	final HttpClient scoringClient = HttpClient.newBuilder().sslContext(SIMULATOR.clientSslContext()).build();

	private static String caller(String subject) {
		return CallerTokens.mint(SIMULATOR, subject, Duration.ofHours(1));
	}

	private JsonNode credential(String service) {
		Http.Response response = this.api.get("/tokens/" + service, caller("app"));
		assertThat(response.status()).as("credential for " + service + ": " + response.body()).isEqualTo(200);
		return response.json();
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

	@Test
	void eachAuthModeGetsACredentialTheServiceAccepts() {
		Map<String, String> expected = Map.of("tok-v1", "aml_token", "key-v1", "key", "key-v2", "key", "aad-v2",
				"aad_token");

		expected.forEach((service, type) -> {
			JsonNode credential = credential(service);
			assertThat(credential.get("credentialType").stringValue()).as(service).isEqualTo(type);
			assertThat(credential.get("scoringUri").stringValue())
				.isEqualTo(SIMULATOR.scoringUri("ws-weu", service).toString());
			assertThat(Instant.parse(credential.get("refreshBy").stringValue()))
				.isBeforeOrEqualTo(Instant.parse(credential.get("expiresAt").stringValue()));
			assertThat(score(credential)).as("scoring " + service + " with its " + type).isEqualTo(200);
		});
		assertThat(credential("key-v1").get("accessToken").stringValue())
			.isEqualTo(SIMULATOR.keys("ws-weu", "key-v1").primaryKey());
	}

	@Test
	void aServiceThatSwitchesModeIsFollowed() {
		SIMULATOR.setAuthMode("ws-weu", "switch-v2", AuthMode.AML_TOKEN);
		JsonNode before = credential("switch-v2");
		assertThat(before.get("credentialType").stringValue()).isEqualTo("aml_token");
		assertThat(score(before)).isEqualTo(200);

		SIMULATOR.setAuthMode("ws-weu", "switch-v2", AuthMode.KEY);
		assertThat(score(before)).as("the redeployed service refuses the old credential").isEqualTo(401);
		CLOCK.set(this.cache.state(ServiceName.of("switch-v2")).nextAttemptAt());
		this.cache.runDueRefreshes().values().forEach((refresh) -> refresh.exceptionally((failure) -> null).join());

		JsonNode after = credential("switch-v2");
		assertThat(after.get("credentialType").stringValue()).isEqualTo("key");
		assertThat(score(after)).isEqualTo(200);
	}

	/**
	 * Issue 12, item 7: the refused {@code listKeys} at the next key-refresh re-reads the
	 * metadata at once; the clock stays short of metadata-refresh, so only the refusal
	 * can have taught the broker the new mode.
	 */
	@Test
	void aKeyServiceSwitchedToTokensIsFollowedAtTheNextKeyRefreshBeforeMetadataRefresh() {
		JsonNode before = credential("switch-key-v1");
		assertThat(before.get("credentialType").stringValue()).isEqualTo("key");
		Instant metadataReadAt = CLOCK.instant();
		// this service's metadata reads only: other services' refreshes may be due at the
		// same instant
		SIMULATOR.clearRecording();

		SIMULATOR.setAuthMode("ws-weu", "switch-key-v1", AuthMode.AML_TOKEN);
		Instant keyRefresh = this.cache.state(ServiceName.of("switch-key-v1")).nextAttemptAt();
		assertThat(keyRefresh).as("metadata-refresh (10m) not reached")
			.isBefore(metadataReadAt.plus(Duration.ofMinutes(10)));
		CLOCK.set(keyRefresh);
		this.cache.runDueRefreshes().values().forEach((refresh) -> refresh.exceptionally((failure) -> null).join());

		JsonNode after = credential("switch-key-v1");
		assertThat(after.get("credentialType").stringValue()).isEqualTo("aml_token");
		assertThat(score(after)).isEqualTo(200);
		assertThat(SIMULATOR.exchanges()
			.stream()
			.filter((exchange) -> exchange.operation() == Operation.MMS_GET_SERVICE
					&& exchange.path().endsWith("/services/switch-key-v1"))
			.count()).as("one re-read").isEqualTo(1);
	}

	@Test
	void keysRotateWhileEightCallersScoreWithoutASingleFailure(CapturedOutput output) throws Exception {
		String before = SIMULATOR.keys("ws-weu", "rot-v2").primaryKey();
		assertThat(credential("rot-v2").get("accessToken").stringValue()).isEqualTo(before);
		Scorers scorers = Scorers.start(8, Duration.ofSeconds(30),
				(index, stop, failures, iterations) -> scoreContinuously("rot-v2", stop, failures, iterations));
		try {
			scorers.awaitIterations(40);
			Http.Response started = rotate("rot-v2", "ops-admin");
			assertThat(started.status()).isEqualTo(202);
			assertThat(started.header("Location")).isEqualTo("/admin/services/rot-v2/keys/rotation");
			// issue 12, item 9: without fleet mode the answer says the rotation is this
			// instance's alone
			assertThat(started.json().get("coordinated").booleanValue()).isFalse();
			assertThat(started.json().get("scope").stringValue()).contains("other instances are not coordinated");
			KeyRotation rotation = this.rotator.rotation(ServiceName.of("rot-v2"));
			await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.WAITING);
			assertThat(rotate("rot-v2", "ops-admin").json().get("id").stringValue()).as("idempotent while running")
				.isEqualTo(rotation.id());
			scorers.awaitIterations(40);

			CLOCK.set(rotation.graceUntil());
			scorers.awaitIterations(40);
			this.rotator.advance();
			await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.SUCCEEDED);
			scorers.awaitIterations(40);
		}
		finally {
			scorers.stop();
		}

		assertThat(scorers.failures()).as("scoring failures during the rotation").isZero();
		assertThat(SIMULATOR.keys("ws-weu", "rot-v2").primaryKey()).isNotEqualTo(before);
		assertThat(credential("rot-v2").get("accessToken").stringValue())
			.isEqualTo(SIMULATOR.keys("ws-weu", "rot-v2").secondaryKey());
		assertThat(SIMULATOR.callCount("westeurope", Operation.ARM_REGENERATE_KEYS)).isGreaterThanOrEqualTo(2);
		String auditLines = output.getAll()
			.lines()
			.filter((line) -> line.contains("key-rotation"))
			.reduce("", String::concat);
		assertThat(auditLines).contains("service=rot-v2")
			.contains("outcome=succeeded")
			.contains("requestedBy=sub:ops-admin");
		assertThat(auditLines).doesNotContain(before)
			.doesNotContain(SIMULATOR.keys("ws-weu", "rot-v2").primaryKey())
			.doesNotContain(SIMULATOR.keys("ws-weu", "rot-v2").secondaryKey());
	}

	@Test
	void aRotationFailingAtEachStepStillLeavesAWorkingKeyServedAndResumes() {
		String service = "rot-fail";
		assertThat(score(credential(service))).isEqualTo(200);

		failOnce(service, Operation.MMS_REGENERATE_KEYS, KeyRotation.Step.REGENERATE_STANDBY);
		failOnce(service, Operation.MMS_GET_OPERATION, KeyRotation.Step.REGENERATE_STANDBY);
		SIMULATOR.failNextRegeneration("ws-weu", service);
		rotate(service, "ops-admin");
		awaitFailedAt(service, KeyRotation.Step.REGENERATE_STANDBY);
		assertThat(score(credential(service))).isEqualTo(200);
		failOnce(service, Operation.MMS_LIST_KEYS, KeyRotation.Step.SWITCH);

		rotate(service, "ops-admin");
		KeyRotation rotation = this.rotator.rotation(ServiceName.of(service));
		await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.WAITING);
		assertThat(score(credential(service))).isEqualTo(200);
		CLOCK.set(rotation.graceUntil());
		SIMULATOR.faults("westeurope", Operation.MMS_REGENERATE_KEYS).set(Fault.error(500));
		this.rotator.advance();
		awaitFailedAt(service, KeyRotation.Step.REGENERATE_RETIRED);
		assertThat(score(credential(service))).as("the new key is served and works").isEqualTo(200);

		SIMULATOR.faults("westeurope", Operation.MMS_REGENERATE_KEYS).clear();
		this.breakers.all().values().forEach(CircuitBreaker::reset);
		rotate(service, "ops-admin");
		await().atMost(Duration.ofSeconds(20)).until(() -> rotation.status() == KeyRotation.Status.SUCCEEDED);
		assertThat(score(credential(service))).isEqualTo(200);
	}

	private void failOnce(String service, Operation operation, KeyRotation.Step expectedStep) {
		SIMULATOR.faults("westeurope", operation).set(Fault.error(500));
		rotate(service, "ops-admin");
		awaitFailedAt(service, expectedStep);
		SIMULATOR.faults("westeurope", operation).clear();
		this.breakers.all().values().forEach(CircuitBreaker::reset);
		assertThat(score(credential(service))).as("a working key after a failure at " + expectedStep).isEqualTo(200);
	}

	private void awaitFailedAt(String service, KeyRotation.Step step) {
		await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			KeyRotation rotation = this.rotator.rotation(ServiceName.of(service));
			assertThat(rotation.status()).isEqualTo(KeyRotation.Status.FAILED);
			assertThat(rotation.step()).isEqualTo(step);
		});
	}

	@Test
	void onlyAdminsMayRotateAndOnlyKeyServices() {
		assertThat(rotate("rot-v1", "app").status()).isEqualTo(403);
		assertThat(rotate("rot-v1", "app").json().get("type").stringValue())
			.isEqualTo("urn:token-broker:problem:admin-access-denied");
		assertThat(this.api.post("/admin/services/rot-v1/keys/rotate").status()).isEqualTo(401);
		credential("tok-v1");
		assertThat(rotate("tok-v1", "ops-admin").status()).isEqualTo(409);
		assertThat(rotate("nope", "ops-admin").status()).isEqualTo(404);
	}

	private Http.Response rotate(String service, String subject) {
		return this.api.postWithBearer("/admin/services/" + service + "/keys/rotate", caller(subject));
	}

	private void scoreContinuously(String service, AtomicBoolean stop, AtomicInteger failures, AtomicLong iterations) {
		JsonNode credential = null;
		Instant refreshBy = Instant.MIN;
		while (!stop.get()) {
			try {
				if (credential == null || !CLOCK.instant().isBefore(refreshBy)) {
					credential = credential(service);
					refreshBy = Instant.parse(credential.get("refreshBy").stringValue());
				}
				if (score(credential) != 200) {
					failures.incrementAndGet();
				}
			}
			catch (Throwable ex) {
				failures.incrementAndGet();
			}
			iterations.incrementAndGet();
		}
	}

}
