package com.acme.tokenbroker.simulator;

import com.acme.tokenbroker.support.MutableClock;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static com.acme.tokenbroker.simulator.Fixtures.ARM_SCOPE;
import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.KEY_SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WI_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.WI_NAMESPACE;
import static com.acme.tokenbroker.simulator.Fixtures.WI_SERVICE_ACCOUNT;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator never logs a secret, even at DEBUG (TRACE for scoring), and logs one line
 * per request.
 */
class SimulatedWorkspaceLoggingTests {

	private final Logger simulatorLogger = (Logger) LoggerFactory.getLogger("com.acme.tokenbroker.simulator");

	private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

	private Level previousLevel;

	@BeforeEach
	void captureLogs() {
		this.previousLevel = this.simulatorLogger.getLevel();
		this.simulatorLogger.setLevel(Level.DEBUG);
		this.appender.start();
		this.simulatorLogger.addAppender(this.appender);
	}

	@AfterEach
	void restoreLogs() {
		this.simulatorLogger.detachAppender(this.appender);
		this.simulatorLogger.setLevel(this.previousLevel);
	}

	@Test
	void logsWhenSecretsAreIssuedAndRejectedThenNeverContainThem(@TempDir Path dir) throws Exception {
		Set<String> issued = ConcurrentHashMap.newKeySet();
		try (SimulatedWorkspace sim = Fixtures
			.standard(MutableClock.startingNow(), SelfSignedCertificate.forClient(CERT_CLIENT), issued::add)
			.start()) {
			TestHttp http = new TestHttp(sim);
			String bearer = http.entraToken(SECRET_CLIENT, SECRET);
			http.post(http.mmsToken(REGION, WORKSPACE, SERVICE), bearer);
			http.post(http.armToken(REGION, WORKSPACE, ENDPOINT), bearer);
			http.post(http.mmsToken(REGION, WORKSPACE, SERVICE), bearer + "x");
			http.form(Map.of("grant_type", "client_credentials", "client_id", SECRET_CLIENT, "client_secret",
					"wrong-secret-in-request", "scope", ARM_SCOPE));
			Path tokenFile = dir.resolve("token");
			Files.writeString(tokenFile, sim.mintServiceAccountToken(WI_NAMESPACE, WI_SERVICE_ACCOUNT,
					SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE, Duration.ofHours(1)));
			new WorkloadIdentityCredentialBuilder().clientId(WI_CLIENT)
				.tenantId(sim.tenantId())
				.tokenFilePath(tokenFile.toString())
				.authorityHost(sim.authorityHost().toString())
				.disableInstanceDiscovery()
				.httpClient(TestHttp.azureHttpClient(sim))
				.build()
				.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE));
			sim.mintCallerToken("user", "api://broker", Map.of(), Duration.ofMinutes(5));
		}

		List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
		assertThat(issued).hasSizeGreaterThanOrEqualTo(8);
		for (String line : lines) {
			for (String secret : issued) {
				assertThat(line).doesNotContain(secret);
			}
			assertThat(line).doesNotContain("wrong-secret-in-request").doesNotContain("eyJ");
		}
		List<String> requestLines = lines.stream().filter((line) -> line.contains(" -> ")).toList();
		assertThat(requestLines).hasSize(6);
		assertThat(requestLines).contains("westeurope POST MMS_TOKEN -> 201", "westeurope POST ARM_TOKEN -> 200",
				"westeurope POST MMS_TOKEN -> 401", "entra POST ENTRA_TOKEN -> 400");
	}

	@Test
	void logsWhenKeysAreListedRegeneratedAndUsedForScoringThenNeverContainThem() throws Exception {
		this.simulatorLogger.setLevel(Level.TRACE);
		Set<String> issued = ConcurrentHashMap.newKeySet();
		String chosen = "caller-chosen-key-value-0123456789abcdef";
		Keys initialService;
		Keys initialEndpoint;
		Keys finalService;
		Keys finalEndpoint;
		try (SimulatedWorkspace sim = Fixtures
			.standard(MutableClock.startingNow(), SelfSignedCertificate.forClient(CERT_CLIENT), issued::add)
			.start()) {
			TestHttp http = new TestHttp(sim);
			String bearer = http.entraToken(SECRET_CLIENT, SECRET);
			initialService = sim.keys(WORKSPACE, KEY_SERVICE);
			initialEndpoint = sim.keys(WORKSPACE, KEY_ENDPOINT);
			http.post(http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "listkeys"), bearer);
			http.post(http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "listKeys"), bearer);
			URI mmsLocation = URI.create(http.postJson(http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"),
					bearer, "{\"keyType\":\"Primary\"}")
				.headers()
				.firstValue("Operation-Location")
				.orElseThrow());
			http.get(mmsLocation, bearer);
			http.get(mmsLocation, bearer);
			URI armLocation = URI.create(http
				.postJson(http.armAction(REGION, WORKSPACE, KEY_ENDPOINT, "regenerateKeys"), bearer,
						"{\"keyType\":\"Secondary\",\"keyValue\":\"" + chosen + "\"}")
				.headers()
				.firstValue("Location")
				.orElseThrow());
			http.get(armLocation, bearer);
			http.get(armLocation, bearer);
			http.postJson(http.mmsAction(REGION, WORKSPACE, KEY_SERVICE, "regenerateKeys"), bearer,
					"{\"keyType\":\"Primary\",\"keyValue\":5}");
			finalService = sim.keys(WORKSPACE, KEY_SERVICE);
			finalEndpoint = sim.keys(WORKSPACE, KEY_ENDPOINT);
			http.post(sim.scoringUri(WORKSPACE, KEY_SERVICE), finalService.primaryKey());
			http.post(sim.scoringUri(WORKSPACE, KEY_SERVICE), initialService.primaryKey());
			http.post(sim.scoringUri(WORKSPACE, KEY_ENDPOINT), chosen);
		}

		List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
		assertThat(issued).contains(initialService.primaryKey(), initialService.secondaryKey(),
				initialEndpoint.primaryKey(), initialEndpoint.secondaryKey(), finalService.primaryKey(), chosen);
		assertThat(finalEndpoint.secondaryKey()).isEqualTo(chosen);
		for (String line : lines) {
			for (String secret : issued) {
				assertThat(line).doesNotContain(secret);
			}
		}
		List<String> requestLines = lines.stream().filter((line) -> line.contains(" -> ")).toList();
		assertThat(requestLines).contains("westeurope POST MMS_LIST_KEYS -> 200",
				"westeurope POST ARM_LIST_KEYS -> 200", "westeurope POST MMS_REGENERATE_KEYS -> 202",
				"westeurope GET MMS_GET_OPERATION -> 200", "westeurope POST ARM_REGENERATE_KEYS -> 202",
				"westeurope GET ARM_GET_OPERATION -> 202", "westeurope GET ARM_GET_OPERATION -> 200",
				"westeurope POST MMS_REGENERATE_KEYS -> 400", "westeurope POST SCORE -> 200",
				"westeurope POST SCORE -> 401");
		assertThat(requestLines).hasSize(13);
	}

}
