package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.acme.tokenbroker.fleet.FleetProperties;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Fleet mode in the chart ({@code fleet.*}): {@code broker.fleet} and the Redis
 * connection ({@code spring.data.redis}) in the rendered {@code application.yml}; the
 * encryption keys and the Redis password as environment variables from existing Secrets,
 * never in the ConfigMap; the NetworkPolicy's egress to Redis; the checks that stop a
 * rendering; and the rendered result bound to {@link FleetProperties} and Spring Boot's
 * Redis properties with the Secrets' content supplied as the kubelet would supply it. The
 * value set is {@code standalone-everything-on}: a TLS Redis with an ACL user, and two
 * keys in the middle of a rotation.
 */
class FleetChartTests {

	static final String SCENARIO = "standalone-everything-on";

	/** The Secrets {@link #SCENARIO} names, by name, as the kubelet would read them. */
	static final Map<String, Map<String, String>> SECRETS = Map.of("token-broker-fleet-keys",
			Map.of("k1", key((byte) 1), "k2", key((byte) 2)), "token-broker-redis",
			Map.of("redis-password", "redis-password-value"), "token-broker-cert", Map.of("password", "pfx-password"));

	/** The least a fleet needs, on top of a value set without it. */
	static final Map<String, Object> FLEET_ON = Map.of("fleet.enabled", true, "fleet.redis.host", "redis.cache.svc",
			"fleet.encryption.existingSecret", "fleet-keys");

	/** Fleet mode for the example application chart's sidecar. */
	static final Map<String, Object> SIDECAR_FLEET_ON = Map.of("token-broker.fleet.enabled", true,
			"token-broker.fleet.redis.host", "redis.cache.svc", "token-broker.fleet.encryption.existingSecret",
			"fleet-keys");

	static Manifests manifests;

	static JsonNode container;

	static JsonNode config;

	@BeforeAll
	static void render() {
		manifests = TokenBrokerChart.render(SCENARIO);
		container = Manifests.container(manifests.one("Deployment").at("/spec/template/spec"), "containers",
				"token-broker");
		config = manifests.applicationConfig();
	}

	@Test
	void theFleetSettingsAndTheRedisConnectionAreRendered() {
		JsonNode fleet = config.at("/broker/fleet");
		JsonNode redis = config.at("/spring/data/redis");

		assertThat(fleet.path("enabled").asBoolean()).isTrue();
		assertThat(fleet.path("key-prefix").asString()).isEqualTo("ml-platform");
		assertThat(fleet.path("lock-lease").asString()).isEqualTo("45s");
		assertThat(fleet.path("peer-wait").asString()).isEqualTo("3s");
		assertThat(fleet.path("shared-budget").isBoolean()).isTrue();
		assertThat(fleet.path("shared-budget").asBoolean()).isFalse();
		assertThat(fleet.at("/encryption/active-key").asString()).isEqualTo("k2");
		assertThat(redis.path("host").asString()).isEqualTo("tb-cache.redis.cache.windows.net");
		assertThat(redis.path("username").asString()).isEqualTo("token-broker");
		// The chart's own over extraConfig's (6379, false); the rest of extraConfig's is
		// merged.
		assertThat(redis.path("port").asInt()).isEqualTo(6380);
		assertThat(redis.at("/ssl/enabled").asBoolean()).isTrue();
		assertThat(redis.path("timeout").asString()).isEqualTo("250ms");
	}

	// Issue 11, item 13: tokens and keys cross the network to Redis, so TLS unless the
	// operator turns it off.
	@Test
	void redisIsReachedOverTlsUnlessTurnedOff() {
		JsonNode byDefault = TokenBrokerChart.render("standalone-workload-identity", FLEET_ON)
			.applicationConfig()
			.at("/spring/data/redis/ssl/enabled");

		assertThat(byDefault.isBoolean()).isTrue();
		assertThat(byDefault.asBoolean()).isTrue();
	}

	@Test
	void theChartsRedisSettingsWinOverExtraConfigEvenWhenFalse() {
		Map<String, Object> sets = new LinkedHashMap<>(FLEET_ON);
		sets.put("fleet.redis.tls", false);
		sets.put("extraConfig.spring.data.redis.ssl.enabled", true);

		JsonNode redis = TokenBrokerChart.render("standalone-workload-identity", sets)
			.applicationConfig()
			.at("/spring/data/redis");

		assertThat(redis.at("/ssl/enabled").isBoolean()).isTrue();
		assertThat(redis.at("/ssl/enabled").asBoolean()).isFalse();
	}

	@Test
	void theKeysAndTheRedisPasswordComeFromSecretsAsEnvironmentVariables() {
		JsonNode env = container.path("env");

		assertSecretKeyRef(Manifests.named(env, "BROKER_FLEET_ENCRYPTION_KEYS_K1"), "token-broker-fleet-keys", "k1");
		assertSecretKeyRef(Manifests.named(env, "BROKER_FLEET_ENCRYPTION_KEYS_K2"), "token-broker-fleet-keys", "k2");
		assertSecretKeyRef(Manifests.named(env, "SPRING_DATA_REDIS_PASSWORD"), "token-broker-redis", "redis-password");
		// The operator's own environment and the certificate password are still there.
		assertThat(Manifests.named(env, "TZ").path("value").asString()).isEqualTo("UTC");
		assertSecretKeyRef(Manifests.named(env, "BROKER_IDENTITY_CERTIFICATEPASSWORD"), "token-broker-cert",
				"password");
	}

	private static void assertSecretKeyRef(JsonNode variable, String secret, String key) {
		assertThat(variable.has("value")).as(variable.toString()).isFalse();
		assertThat(variable.at("/valueFrom/secretKeyRef/name").asString()).isEqualTo(secret);
		assertThat(variable.at("/valueFrom/secretKeyRef/key").asString()).isEqualTo(key);
	}

	@Test
	void theConfigMapHoldsNeitherKeysNorAPassword() {
		assertThat(config.at("/broker/fleet/encryption").propertyNames()).containsExactly("active-key");
		assertThat(config.at("/spring/data/redis").has("password")).isFalse();
		assertThat(manifests.applicationYaml()).doesNotContainIgnoringCase("password");
		for (JsonNode configMap : manifests.all("ConfigMap")) {
			assertThat(configMap.path("data").toString()).doesNotContain("BROKER_FLEET_ENCRYPTION_KEYS");
		}
	}

	@Test
	void withoutAPasswordSecretRedisIsUsedWithoutAuth() {
		Manifests plain = TokenBrokerChart.render("standalone-workload-identity", FLEET_ON);

		JsonNode env = Manifests
			.container(plain.one("Deployment").at("/spec/template/spec"), "containers", "token-broker")
			.path("env");
		JsonNode redis = plain.applicationConfig().at("/spring/data/redis");

		assertThat(names(env)).containsExactly("BROKER_FLEET_ENCRYPTION_KEYS_K1");
		assertSecretKeyRef(env.path(0), "fleet-keys", "k1");
		assertThat(redis.propertyNames()).containsExactlyInAnyOrder("host", "port", "ssl");
		assertThat(redis.path("port").asInt()).isEqualTo(6379);
		assertThat(plain.applicationConfig().at("/broker/fleet/encryption/active-key").asString()).isEqualTo("k1");
	}

	@Test
	void theNetworkPolicyLetsTheBrokerReachRedis() {
		JsonNode egress = manifests.one("NetworkPolicy").at("/spec/egress");
		JsonNode withoutFleet = TokenBrokerChart.render(SCENARIO, Map.of("fleet.enabled", false))
			.one("NetworkPolicy")
			.at("/spec/egress");

		assertThat(egressPorts(egress)).containsExactly("53/UDP", "53/TCP", "443/TCP", "6380/TCP");
		assertThat(egressPorts(withoutFleet)).containsExactly("53/UDP", "53/TCP", "443/TCP");
	}

	private static List<String> egressPorts(JsonNode egress) {
		List<String> ports = new ArrayList<>();
		for (JsonNode rule : egress) {
			for (JsonNode port : rule.path("ports")) {
				ports.add(port.path("port").asInt() + "/" + port.path("protocol").asString());
			}
		}
		return ports;
	}

	@Test
	void inSidecarModeEverySidecarJoinsTheFleet(@TempDir Path workDir) {
		Manifests app = TokenBrokerChart.renderAppChart(workDir, SIDECAR_FLEET_ON);

		JsonNode pod = app.one("Deployment").at("/spec/template/spec");
		JsonNode sidecar = Manifests.container(pod, "initContainers", "token-broker");
		assertSecretKeyRef(Manifests.named(sidecar.path("env"), "BROKER_FLEET_ENCRYPTION_KEYS_K1"), "fleet-keys", "k1");
		assertThat(app.applicationConfig().at("/broker/fleet/enabled").asBoolean()).isTrue();
		assertThat(app.applicationConfig().at("/spring/data/redis/host").asString()).isEqualTo("redis.cache.svc");
		assertThat(names(Manifests.container(pod, "containers", "scorer").path("env")))
			.noneMatch((name) -> name.contains("FLEET") || name.contains("REDIS"));
		// The sidecar's checks apply in the app's chart too.
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.renderAppChart(workDir, Map.of("token-broker.fleet.enabled", true)))
			.withMessageContaining("fleet.enabled needs fleet.redis.host");
	}

	/**
	 * Every value set but {@link #SCENARIO} and node mode's (fleet mode on by default).
	 */
	static Stream<String> valueSetsWithoutFleet() {
		return TokenBrokerChart.SCENARIOS.stream()
			.filter((scenario) -> !SCENARIO.equals(scenario) && !HelmChartTests.NODE_SCENARIOS.contains(scenario));
	}

	@ParameterizedTest
	@MethodSource("valueSetsWithoutFleet")
	void valueSetsWithoutFleetRenderNothingOfIt(String scenario) {
		assertNothingOfFleetMode(TokenBrokerChart.render(scenario));
	}

	@Test
	void theDefaultsRenderNothingOfFleetMode(@TempDir Path workDir) {
		assertNothingOfFleetMode(TokenBrokerChart.renderDefaults());
		assertNothingOfFleetMode(TokenBrokerChart.renderAppChart(workDir));
	}

	private static void assertNothingOfFleetMode(Manifests rendered) {
		assertThat(rendered.yaml()).doesNotContainIgnoringCase("fleet").doesNotContainIgnoringCase("redis");
	}

	static Stream<Arguments> invalidFleetValues() {
		return Stream.of(Arguments.of("fleet.redis.host", "", "fleet.enabled needs fleet.redis.host"),
				Arguments.of("fleet.encryption.existingSecret", "",
						"fleet.enabled needs fleet.encryption.existingSecret"),
				Arguments.of("fleet.encryption.activeKey", "k3", "must be one of fleet.encryption.keyIds"),
				Arguments.of("fleet.redis.username", "token-broker",
						"fleet.redis.username needs fleet.redis.passwordSecret"),
				// Key ids become environment variable names and Secret keys.
				Arguments.of("fleet.encryption.keyIds[0]", "K1", "/fleet/encryption/keyIds/0"),
				Arguments.of("fleet.encryption.keyIds[0]", "k_1", "/fleet/encryption/keyIds/0"),
				Arguments.of("fleet.keyPrefix", "token broker", "/fleet/keyPrefix"),
				Arguments.of("fleet.lockLease", "0s", "/fleet/lockLease"),
				Arguments.of("fleet.redis.port", "70000", "/fleet/redis/port"),
				// Secrets that would land in the ConfigMap.
				Arguments.of("fleet.redis.password", "secret", "password"),
				Arguments.of("config.fleet.encryption.keys.k1", "AAAA", "config.fleet is not used"),
				Arguments.of("extraConfig.broker.fleet.encryption.keys.k1", "AAAA",
						"extraConfig.broker.fleet is not used"),
				Arguments.of("extraConfig.spring.data.redis.password", "secret", "use fleet.redis.passwordSecret"));
	}

	@ParameterizedTest(name = "{0}={1}")
	@MethodSource("invalidFleetValues")
	void invalidFleetValuesStopTheRendering(String key, String value, String message) {
		Map<String, Object> sets = new LinkedHashMap<>(FLEET_ON);
		sets.put(key, value);

		assertThatException().isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", sets))
			.withMessageContaining(message);
	}

	/**
	 * Issue 12, item 9: without fleet mode every instance would rotate the keys on its
	 * own schedule and regenerate a key its peers still serve; with fleet mode they share
	 * one rotation.
	 */
	@Test
	void scheduledKeyRotationNeedsFleetModeWhenMoreThanOneInstanceRuns() {
		Map<String, Object> scheduled = Map.of("config.keys.rotation.interval", "30d");

		assertThatException().isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", scheduled))
			.withMessageContaining("config.keys.rotation.interval needs fleet.enabled");
		assertThatException().isThrownBy(() -> TokenBrokerChart.render("sidecar-workload-identity", scheduled))
			.withMessageContaining("config.keys.rotation.interval needs fleet.enabled");

		Map<String, Object> single = new LinkedHashMap<>(scheduled);
		single.put("standalone.replicas", 1);
		assertThat(TokenBrokerChart.render("standalone-workload-identity", single).applicationYaml())
			.as("one replica rotates alone")
			.contains("interval: 30d");
		Map<String, Object> fleet = new LinkedHashMap<>(FLEET_ON);
		fleet.putAll(scheduled);
		assertThat(TokenBrokerChart.render("standalone-workload-identity", fleet).applicationYaml())
			.as("the fleet rotates together")
			.contains("interval: 30d");
		Map<String, Object> off = new LinkedHashMap<>();
		off.put("config.keys.rotation.interval", "0");
		assertThat(TokenBrokerChart.render("standalone-workload-identity", off).applicationYaml()).isNotNull();
	}

	@Test
	void theRenderedConfigurationBindsToTheFleetPropertiesWithTheKeysFromTheEnvironment() {
		Binder binder = RenderedConfigurationBindingTests.binder(manifests.applicationYaml(), environment(container));

		FleetProperties fleet = binder.bindOrCreate("broker.fleet", FleetProperties.class);
		UpstreamProperties upstream = binder.bindOrCreate("broker.upstream", UpstreamProperties.class);

		assertThat(fleet.enabled()).isTrue();
		assertThat(fleet.keyPrefix()).isEqualTo("ml-platform");
		assertThat(fleet.lockLease()).hasSeconds(45).isGreaterThan(upstream.callTimeout());
		assertThat(fleet.peerWait()).hasSeconds(3);
		assertThat(fleet.pollInterval()).hasMillis(50);
		assertThat(fleet.sharedBudget()).isFalse();
		assertThat(fleet.encryption().activeKey()).isEqualTo("k2");
		assertThat(fleet.encryption().keys()).isEqualTo(SECRETS.get("token-broker-fleet-keys"));
	}

	@Test
	void theRenderedConfigurationBindsToSpringBootsRedisPropertiesWithThePasswordFromTheEnvironment() {
		Binder binder = RenderedConfigurationBindingTests.binder(manifests.applicationYaml(), environment(container));

		DataRedisProperties redis = binder.bindOrCreate("spring.data.redis", DataRedisProperties.class);

		assertThat(redis.getHost()).isEqualTo("tb-cache.redis.cache.windows.net");
		assertThat(redis.getPort()).isEqualTo(6380);
		assertThat(redis.getUsername()).isEqualTo("token-broker");
		assertThat(redis.getPassword()).isEqualTo("redis-password-value");
		assertThat(redis.getSsl().isEnabled()).isTrue();
		assertThat(redis.getTimeout()).hasMillis(250);
	}

	@Test
	void withoutTheSecretsTheFleetPropertiesFailTheirValidation() {
		Binder binder = RenderedConfigurationBindingTests.binder(manifests.applicationYaml());

		assertThatExceptionOfType(BindException.class)
			.isThrownBy(() -> binder.bindOrCreate("broker.fleet", FleetProperties.class))
			.havingRootCause()
			.isInstanceOfSatisfying(InvalidConfigurationException.class,
					(ex) -> assertThat(ex.getProperty()).isEqualTo("broker.fleet.encryption.keys"));
	}

	/**
	 * The container's environment as the kubelet would set it: literal values, and
	 * secretKeyRefs read from {@link #SECRETS}.
	 */
	static Map<String, Object> environment(JsonNode container) {
		Map<String, Object> environment = new LinkedHashMap<>();
		for (JsonNode variable : container.path("env")) {
			JsonNode ref = variable.at("/valueFrom/secretKeyRef");
			String value = ref.isMissingNode() ? variable.path("value").asString() : secretValue(ref);
			environment.put(variable.path("name").asString(), value);
		}
		return environment;
	}

	private static String secretValue(JsonNode secretKeyRef) {
		String name = secretKeyRef.path("name").asString();
		Map<String, String> secret = Objects.requireNonNull(SECRETS.get(name), () -> "No Secret " + name);
		return Objects.requireNonNull(secret.get(secretKeyRef.path("key").asString()),
				() -> "No such key in Secret " + name + ": " + secretKeyRef);
	}

	private static List<String> names(JsonNode env) {
		return StreamSupport.stream(env.spliterator(), false)
			.map((variable) -> variable.path("name").asString())
			.toList();
	}

	/** A 256-bit key, base64-encoded as the Secret holds it. */
	private static String key(byte fill) {
		byte[] key = new byte[32];
		Arrays.fill(key, fill);
		return Base64.getEncoder().encodeToString(key);
	}

}
