package com.acme.tokenbroker.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.keys.KeyRotation;
import com.acme.tokenbroker.keys.KeyRotator;
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
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, item 3, end to end: file sinks for a token-auth and a key-auth service of the
 * simulated workspace, kept up to date by the refresher's own thread (ticking every 100
 * ms) while the test moves virtual time: written at start, replaced ahead of
 * {@code refreshBy}, following a key rotation, and removed or emptied once the token
 * passes its hard expiry with the upstream down. The tests run in order on one clock.
 */
@SimulatedWorkspaceTest(testCatalog = false, resetFaults = true)
@Import(FastPolls.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FileSinkIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE)
		.add("key-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)).asyncRegeneration(2));

	static final Path SINKS = temporaryDirectory();

	static final Duration WAIT = Duration.ofSeconds(20);

	private static Path temporaryDirectory() {
		try {
			return Files.createTempDirectory("token-broker-sinks");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.tokens.refresh-check-interval", () -> "100ms");
		registry.add("broker.tokens.warm-up", () -> "true");
		registry.add("broker.access.admin-rules[0].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.admin-rules[0].subjects[0]", () -> "ops-admin");
		registry.add("broker.access.admin-rules[0].services[0]", () -> "key-v1");
		sink(registry, "tok", "tok-v1", "tok.token", "token", "remove");
		sink(registry, "tok-json", "tok-v1", "tok.json", "json", "empty");
		sink(registry, "key-env", "key-v1", "key.env", "env", "remove");
		sink(registry, "key-json", "key-v1", "key.json", "json", "remove");
	}

	private static void sink(DynamicPropertyRegistry registry, String name, String service, String file, String format,
			String onUnusable) {
		registry.add("broker.sinks." + name + ".service", () -> service);
		registry.add("broker.sinks." + name + ".path", () -> SINKS.resolve(file).toString());
		registry.add("broker.sinks." + name + ".format", () -> format);
		registry.add("broker.sinks." + name + ".on-unusable", () -> onUnusable);
	}

	@AfterAll
	static void deleteSinks() throws IOException {
		FileSystemUtils.deleteRecursively(SINKS);
	}

	@Autowired
	TokenCache cache;

	@Autowired
	RefreshPolicy policy;

	@Autowired
	KeyRotator rotator;

	@Autowired
	Http api;

	final JsonMapper mapper = JsonMapper.builder().build();

	private JsonNode credential(String service) {
		Http.Response response = this.api.get("/tokens/" + service,
				CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1)));
		assertThat(response.status()).as(response.body()).isEqualTo(200);
		return response.json();
	}

	private static String read(String file) {
		try {
			return Files.readString(SINKS.resolve(file));
		}
		catch (IOException ex) {
			return null;
		}
	}

	private BrokeredToken held(String service) {
		return this.cache.current(ServiceName.of(service));
	}

	@Test
	@Order(1)
	void eachSinkHoldsItsServicesCredentialInItsFormatOnceWarmedUp() throws Exception {
		await().atMost(WAIT).until(() -> read("tok.token") != null && read("key.env") != null);

		JsonNode token = credential("tok-v1");
		JsonNode key = credential("key-v1");
		assertThat(read("tok.token")).isEqualTo(token.get("accessToken").stringValue());
		assertThat(this.mapper.readTree(read("tok.json"))).isEqualTo(token);
		assertThat(this.mapper.readTree(read("key.json"))).isEqualTo(key);
		assertThat(key.get("credentialType").stringValue()).isEqualTo("key");
		assertThat(read("key.env"))
			.contains("TOKEN_BROKER_KEY_V1_TOKEN='" + SIMULATOR.keys("ws-weu", "key-v1").primaryKey() + "'\n")
			.contains("TOKEN_BROKER_KEY_V1_CREDENTIAL_TYPE='key'\n");
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(SINKS.resolve("tok.token"))))
			.isEqualTo("r--r-----");
		try (var files = Files.list(SINKS)) {
			assertThat(files.map((path) -> path.getFileName().toString())).containsExactlyInAnyOrder("tok.token",
					"tok.json", "key.env", "key.json");
		}
	}

	@Test
	@Order(1)
	void adminsSeeTheSinksOfTheServicesTheyAdministerAndNoCredential() {
		await().atMost(WAIT).until(() -> read("key.env") != null);

		Http.Response admin = this.api.get("/admin/sinks",
				CallerTokens.mint(SIMULATOR, "ops-admin", Duration.ofHours(1)));
		Http.Response app = this.api.get("/admin/sinks", CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1)));

		assertThat(admin.status()).isEqualTo(200);
		assertThat(admin.json().size()).as("key-v1's sinks only").isEqualTo(2);
		admin.json().forEach((sink) -> {
			assertThat(sink.get("service").stringValue()).isEqualTo("key-v1");
			assertThat(sink.get("state").stringValue()).isEqualTo("written");
		});
		assertThat(admin.body()).doesNotContain(SIMULATOR.keys("ws-weu", "key-v1").primaryKey());
		assertThat(app.status()).isEqualTo(200);
		assertThat(app.json().size()).isZero();
		assertThat(this.api.get("/admin/sinks", null).status()).isEqualTo(401);
	}

	@Test
	@Order(2)
	void theRefresherReplacesTheTokenFileAheadOfRefreshBy() {
		BrokeredToken before = held("tok-v1");
		assertThat(read("tok.token")).isEqualTo(before.value());

		CLOCK.set(this.cache.state(ServiceName.of("tok-v1")).nextAttemptAt());
		await().atMost(WAIT).until(() -> !before.value().equals(read("tok.token")));

		assertThat(CLOCK.instant()).isBefore(before.refreshAfter());
		assertThat(read("tok.token")).isEqualTo(held("tok-v1").value());
		assertThat(read("tok.json")).contains(held("tok-v1").value());
	}

	@Test
	@Order(3)
	void aKeyRotationSwitchesTheKeyFiles() {
		String primary = SIMULATOR.keys("ws-weu", "key-v1").primaryKey();
		assertThat(read("key.env")).contains(primary);

		KeyRotation rotation = this.rotator.rotate(descriptor("key-v1"), "sink-test");
		await().atMost(WAIT).until(() -> rotation.status() == KeyRotation.Status.WAITING);

		String secondary = SIMULATOR.keys("ws-weu", "key-v1").secondaryKey();
		await().atMost(WAIT).until(() -> read("key.env").contains(secondary));
		assertThat(read("key.env")).doesNotContain(primary);
		assertThat(read("key.json")).contains(secondary);
	}

	private ServiceDescriptor descriptor(String service) {
		return this.cache.state(ServiceName.of(service)).service();
	}

	@Test
	@Order(4)
	void aTokenPastItsHardExpiryWithTheUpstreamDownIsRemovedOrEmptied() {
		BrokeredToken last = held("tok-v1");
		SIMULATOR.faults("westeurope", Operation.MMS_TOKEN).set(Fault.error(500));
		SIMULATOR.faults("westeurope", Operation.MMS_GET_SERVICE).set(Fault.error(500));
		Instant hardExpiry = this.policy.hardExpiry(last);

		CLOCK.set(hardExpiry.minus(Duration.ofMinutes(1)));
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(this.cache.state(ServiceName.of("tok-v1")).consecutiveFailures())
				.as("the refresh at this time failed")
				.isPositive());
		assertThat(read("tok.token")).as("stale but usable: kept").isEqualTo(last.value());

		CLOCK.set(hardExpiry);
		await().atMost(WAIT).until(() -> !Files.exists(SINKS.resolve("tok.token")));

		await().atMost(WAIT).until(() -> "".equals(read("tok.json")));
		assertThat(read("key.env")).as("the key service's own file is unaffected").isNotEmpty();
	}

}
