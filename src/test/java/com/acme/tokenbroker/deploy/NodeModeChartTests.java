package com.acme.tokenbroker.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.acme.tokenbroker.fleet.FleetProperties;
import com.acme.tokenbroker.principal.IdentityProperties;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.AccessProperties;
import com.marcnuri.helm.Helm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Node mode ({@code mode: node}, issue 14, item 6): one broker per node as a DaemonSet
 * behind a Service with {@code internalTrafficPolicy: Local}, callers authenticated as in
 * standalone mode, fleet mode on unless {@code fleet.enabled=false}. What node mode
 * shares with standalone (ports, probes, hardening, resources, lint, schema, binding) is
 * asserted for its value sets by {@link HelmChartTests}, {@link KubernetesSchemaTests}
 * and {@link RenderedConfigurationBindingTests}.
 */
class NodeModeChartTests {

	static final String SCENARIO = "node-workload-identity";

	static final String EVERYTHING_ON = "node-everything-on";

	static final List<String> NODE_SCENARIOS = HelmChartTests.NODE_SCENARIOS;

	@ParameterizedTest
	@FieldSource("NODE_SCENARIOS")
	void nodeModeRendersADaemonSetAndANodeLocalServiceAndNoDeploymentNorDisruptionBudget(String scenario) {
		Manifests manifests = TokenBrokerChart.render(scenario);

		assertThat(manifests.kinds()).contains("DaemonSet", "Service", "ConfigMap", "ServiceAccount")
			.doesNotContain("Deployment", "PodDisruptionBudget", "PodMonitor");
		JsonNode daemonSet = manifests.one("DaemonSet");
		JsonNode service = manifests.one("Service");
		JsonNode selector = daemonSet.at("/spec/selector/matchLabels");
		assertThat(service.at("/spec/selector")).isEqualTo(selector);
		assertThat(daemonSet.at("/spec/template/metadata/labels").properties()).containsAll(selector.properties());
		assertThat(service.at("/spec/internalTrafficPolicy").asString()).isEqualTo("Local");
		assertThat(service.at("/spec/type").asString()).isEqualTo("ClusterIP");
		assertThat(daemonSet.at("/metadata/labels/app.kubernetes.io~1component").asString()).isEqualTo("node");
		assertThat(daemonSet.at("/spec/updateStrategy/type").asString()).isEqualTo("RollingUpdate");
	}

	@Test
	void aRolloutStartsTheNewBrokerBesideTheOldOneByDefault() {
		JsonNode byDefault = TokenBrokerChart.render(SCENARIO)
			.one("DaemonSet")
			.at("/spec/updateStrategy/rollingUpdate");
		JsonNode byPercentage = TokenBrokerChart.render(EVERYTHING_ON)
			.one("DaemonSet")
			.at("/spec/updateStrategy/rollingUpdate");

		assertThat(byDefault.path("maxUnavailable").asInt()).isZero();
		assertThat(byDefault.path("maxSurge").asInt()).isOne();
		assertThat(byPercentage.path("maxUnavailable").asString()).isEqualTo("10%");
		assertThat(byPercentage.path("maxSurge").asInt()).isZero();
	}

	@ParameterizedTest
	@FieldSource("NODE_SCENARIOS")
	void theBrokerIsAnOrdinaryPodWithoutHostAccessOrKubernetesApiToken(String scenario) {
		JsonNode pod = TokenBrokerChart.render(scenario).one("DaemonSet").at("/spec/template/spec");
		JsonNode container = Manifests.container(pod, "containers", "token-broker");

		assertThat(pod.path("hostNetwork").asBoolean(true)).isFalse();
		assertThat(pod.path("hostPID").asBoolean(true)).isFalse();
		assertThat(pod.path("hostIPC").asBoolean(true)).isFalse();
		assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
		assertThat(pod.path("containers").size()).isOne();
		assertThat(pod.has("initContainers")).isFalse();
		for (JsonNode port : container.path("ports")) {
			assertThat(port.has("hostPort")).as(port.toString()).isFalse();
		}
		for (JsonNode volume : pod.path("volumes")) {
			assertThat(volume.has("hostPath")).as(volume.toString()).isFalse();
		}
		assertThat(container.at("/securityContext/privileged").asBoolean(true)).isFalse();
	}

	@Test
	void theApiListensOnAllInterfacesBehindTheService() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO);
		JsonNode config = manifests.applicationConfig();

		assertThat(config.at("/server/address").asString()).isEqualTo("0.0.0.0");
		assertThat(config.at("/management/server/address").asString()).isEqualTo("0.0.0.0");
		JsonNode ports = manifests.one("Service").at("/spec/ports");
		assertThat(Manifests.named(ports, "http").path("port").asInt()).isEqualTo(8080);
		assertThat(Manifests.named(ports, "http").path("targetPort").asString()).isEqualTo("broker-api");
		assertThat(Manifests.named(ports, "management").path("targetPort").asString()).isEqualTo("broker-mgmt");
	}

	@Test
	void callersAreAuthenticatedAsInStandaloneMode() {
		JsonNode node = TokenBrokerChart.render(SCENARIO).applicationConfig();
		JsonNode standalone = TokenBrokerChart.render("standalone-workload-identity").applicationConfig();

		assertThat(node.at("/broker/access")).isEqualTo(standalone.at("/broker/access"));
		AccessProperties access = RenderedConfigurationBindingTests.bind(
				RenderedConfigurationBindingTests.binder(TokenBrokerChart.render(SCENARIO).applicationYaml()),
				"broker.access", AccessProperties.class);
		new AccessPolicy(access);
		assertThat(access.rules()).singleElement()
			.satisfies((rule) -> assertThat(rule.subjects()).containsExactly("system:serviceaccount:ml-apps:scorer"));
		// Issuers without audiences accept the per-release audience, as in standalone
		// mode.
		JsonNode issuers = TokenBrokerChart
			.render(SCENARIO,
					Map.of("config.access.issuers[1].issuer-uri", "https://issuer.example/",
							"config.access.issuers[1].jwk-set-uri", "https://issuer.example/openid/v1/jwks"))
			.applicationConfig()
			.at("/broker/access/issuers");
		assertThat(issuers.at("/1/audiences").toString()).isEqualTo("[\"token-broker.ml-apps.tb\"]");
	}

	@Test
	void workloadIdentityIsTheBrokersOwnProjectedTokenAsInStandaloneMode() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO);
		JsonNode daemonSet = manifests.one("DaemonSet");

		assertThat(daemonSet.at("/spec/template/metadata/labels").has("azure.workload.identity/use")).isFalse();
		assertThat(Manifests.named(daemonSet.at("/spec/template/spec/volumes"), "token-broker-azure-identity")
			.at("/projected/sources/0/serviceAccountToken/audience")
			.asString()).isEqualTo("api://AzureADTokenExchange");
		assertThat(daemonSet.at("/spec/template/spec/serviceAccountName").asString())
			.isEqualTo(manifests.one("ServiceAccount").at("/metadata/name").asString());
		assertThat(manifests.one("ServiceAccount").path("automountServiceAccountToken").asBoolean(true)).isFalse();
		IdentityProperties identity = RenderedConfigurationBindingTests.bind(
				RenderedConfigurationBindingTests.binder(manifests.applicationYaml()), "broker.identity",
				IdentityProperties.class);
		assertThat(identity.mode()).isEqualTo(IdentityProperties.Mode.WORKLOAD_IDENTITY);
		assertThat(identity.tokenFile())
			.hasToString("/var/run/secrets/token-broker/azure-identity/azure-identity-token");
	}

	/**
	 * A managed identity would have to be on every node, where IMDS serves it to every
	 * pod of the cluster: refused, as in sidecar mode, unless the operator accepts it.
	 */
	@Test
	void aManagedIdentityIsRefusedUnlessTheOperatorAcceptsThatEveryPodCanTakeIt() {
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render(SCENARIO, Map.of("identity.mode", "managed-identity")))
			.withMessageContaining("identity.mode managed-identity in node mode")
			.withMessageContaining("identity.allowNodeIdentity=true");
		assertThat(TokenBrokerChart
			.render(SCENARIO, Map.of("identity.mode", "managed-identity", "identity.allowNodeIdentity", true))
			.applicationConfig()
			.at("/broker/identity/mode")
			.asString()).isEqualTo("managed-identity");
	}

	@Test
	void fleetModeIsOnByDefaultWithTheKeysFromTheSecret() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO);
		JsonNode container = Manifests.container(manifests.one("DaemonSet").at("/spec/template/spec"), "containers",
				"token-broker");
		Binder binder = RenderedConfigurationBindingTests.binder(manifests.applicationYaml(),
				FleetChartTests.environment(container));

		FleetProperties fleet = binder.bindOrCreate("broker.fleet", FleetProperties.class);
		DataRedisProperties redis = binder.bindOrCreate("spring.data.redis", DataRedisProperties.class);

		assertThat(fleet.enabled()).isTrue();
		assertThat(fleet.keyPrefix()).isEqualTo("token-broker");
		assertThat(fleet.encryption().activeKey()).isEqualTo("k1");
		assertThat(fleet.encryption().keys())
			.isEqualTo(Map.of("k1", FleetChartTests.SECRETS.get("token-broker-fleet-keys").get("k1")));
		assertThat(redis.getHost()).isEqualTo("redis.cache.svc.cluster.local");
		assertThat(redis.getSsl().isEnabled()).isTrue();
		assertThat(redis.getPassword()).isNull();
		assertThat(manifests.applicationYaml()).doesNotContain("BROKER_FLEET_ENCRYPTION_KEYS")
			.doesNotContainIgnoringCase("password");
	}

	@Test
	void theRedisPasswordComesFromItsSecretAndTheNetworkPolicyOpensRedis() {
		Manifests manifests = TokenBrokerChart.render(EVERYTHING_ON);
		JsonNode container = Manifests.container(manifests.one("DaemonSet").at("/spec/template/spec"), "containers",
				"token-broker");

		DataRedisProperties redis = RenderedConfigurationBindingTests
			.binder(manifests.applicationYaml(), FleetChartTests.environment(container))
			.bindOrCreate("spring.data.redis", DataRedisProperties.class);

		assertThat(redis.getPort()).isEqualTo(6380);
		assertThat(redis.getPassword()).isEqualTo("redis-password-value");
		assertThat(manifests.one("NetworkPolicy").at("/spec/egress").toString()).contains("6380");
		assertThat(manifests.one("NetworkPolicy").at("/spec/podSelector/matchLabels"))
			.isEqualTo(manifests.one("DaemonSet").at("/spec/selector/matchLabels"));
	}

	@Test
	void fleetModeTurnedOffExplicitlyRendersNothingOfIt() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO,
				Map.of("fleet.enabled", false, "fleet.redis.host", "", "fleet.encryption.existingSecret", ""));

		assertThat(manifests.kinds()).contains("DaemonSet");
		assertThat(manifests.yaml()).doesNotContainIgnoringCase("fleet").doesNotContainIgnoringCase("redis");
	}

	static Stream<Arguments> missingFleetValues() {
		return Stream.of(
				Arguments.of("fleet.redis.host", "mode node (fleet mode on by default) needs fleet.redis.host"),
				Arguments.of("fleet.encryption.existingSecret",
						"mode node (fleet mode on by default) needs fleet.encryption.existingSecret"));
	}

	/**
	 * Issue 14, item 6: node mode without a Redis stops with a message that names the
	 * missing value and the way out.
	 */
	@ParameterizedTest(name = "{0}")
	@MethodSource("missingFleetValues")
	void nodeModeWithoutItsRedisStopsTheRenderingAndSaysHowToTurnFleetModeOff(String key, String message) {
		assertThatException().isThrownBy(() -> TokenBrokerChart.render(SCENARIO, Map.of(key, "")))
			.withMessageContaining(message)
			.withMessageContaining("set fleet.enabled=false");
		// Turned on explicitly: the operator knows, the message is fleet mode's own.
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render(SCENARIO, Map.of(key, "", "fleet.enabled", true)))
			.withMessageContaining("fleet.enabled needs " + key);
	}

	@Test
	void theChartsDefaultsInNodeModeStopAtTheMissingRedis() {
		Map<String, Object> identity = Map.of("mode", "node", "identity.mode", "client-secret",
				"identity.clientSecret.existingSecret", "sp", "identity.tenantId", "t", "identity.clientId",
				"0b5e3c1a-6f2d-4e8b-9a7c-1d2e3f4a5b6c");
		var command = new Helm(TokenBrokerChart.CHART).template()
			.withName(TokenBrokerChart.RELEASE)
			.withNamespace(TokenBrokerChart.NAMESPACE)
			.withKubeVersion(TokenBrokerChart.KUBE_VERSION);
		identity.forEach(command::set);

		assertThatException().isThrownBy(command::call)
			.withMessageContaining("mode node (fleet mode on by default) needs fleet.redis.host");
	}

	@Test
	void theOtherModesKeepFleetModeOffByDefault() {
		for (String scenario : List.of("standalone-workload-identity", "sidecar-workload-identity")) {
			assertThat(TokenBrokerChart.render(scenario).applicationConfig().at("/broker/fleet").isMissingNode())
				.as(scenario)
				.isTrue();
		}
	}

	@Test
	void scheduledKeyRotationWithoutFleetModeIsRefused() {
		Map<String, Object> sets = new LinkedHashMap<>();
		sets.put("fleet.enabled", false);
		sets.put("config.keys.rotation.interval", "30d");

		assertThatException().isThrownBy(() -> TokenBrokerChart.render(SCENARIO, sets))
			.withMessageContaining("config.keys.rotation.interval needs fleet.enabled in node mode");
		assertThat(TokenBrokerChart.render(SCENARIO, Map.of("config.keys.rotation.interval", "30d")).applicationYaml())
			.as("the fleet rotates together")
			.contains("interval: 30d");
	}

	static Stream<Arguments> invalidUpdateStrategies() {
		return Stream.of(Arguments.of(0, 0, "cannot both be 0"),
				Arguments.of(1, 1, "set maxUnavailable or maxSurge to 0"),
				Arguments.of("5x", 0, "/node/updateStrategy/maxUnavailable"));
	}

	@ParameterizedTest(name = "maxUnavailable={0}, maxSurge={1}")
	@MethodSource("invalidUpdateStrategies")
	void anUpdateStrategyTheDaemonSetCannotRollStopsTheRendering(Object maxUnavailable, Object maxSurge,
			String message) {
		Map<String, Object> sets = Map.of("node.updateStrategy.maxUnavailable", maxUnavailable,
				"node.updateStrategy.maxSurge", maxSurge);

		assertThatException().isThrownBy(() -> TokenBrokerChart.render(SCENARIO, sets)).withMessageContaining(message);
	}

	@Test
	void tlsServesTheApiOverHttpsWithACertificateForTheServicesNames() {
		Manifests manifests = TokenBrokerChart.render(EVERYTHING_ON);

		JsonNode https = Manifests.named(manifests.one("Service").at("/spec/ports"), "https");
		assertThat(https.path("port").asInt()).isEqualTo(8443);
		assertThat(https.path("appProtocol").asString()).isEqualTo("https");
		assertThat(manifests.applicationConfig().at("/server/ssl/bundle").asString()).isEqualTo("api");
		assertThat(manifests.one("Certificate").at("/spec/dnsNames").toString())
			.contains("tb-token-broker.ml-apps.svc.cluster.local");
		assertThat(Manifests.named(manifests.one("DaemonSet").at("/spec/template/spec/volumes"), "token-broker-tls")
			.at("/secret/secretName")
			.asString()).isEqualTo(manifests.one("Certificate").at("/spec/secretName").asString());
	}

	@Test
	void theSchedulingValuesReachTheDaemonSetAndTheServiceMonitorSelectsItsPods() {
		Manifests manifests = TokenBrokerChart.render(EVERYTHING_ON);
		JsonNode pod = manifests.one("DaemonSet").at("/spec/template");

		assertThat(pod.at("/spec/tolerations/0/key").asString()).isEqualTo("workload");
		assertThat(pod.at("/spec/nodeSelector/kubernetes.io~1os").asString()).isEqualTo("linux");
		assertThat(pod.at("/spec/priorityClassName").asString()).isEqualTo("token-broker-node");
		assertThat(pod.at("/metadata/labels/team").asString()).isEqualTo("ml-platform");
		assertThat(pod.at("/metadata/annotations/checksum~1token-broker-config").asString()).hasSize(64);
		JsonNode monitor = manifests.one("ServiceMonitor");
		assertThat(monitor.at("/spec/selector/matchLabels"))
			.isEqualTo(manifests.one("DaemonSet").at("/spec/selector/matchLabels"));
		assertThat(monitor.at("/spec/endpoints/0/port").asString()).isEqualTo("management");
	}

	@Test
	void theNotesNameTheNodeLocalUrlAndWhatCallersSeeWithoutALocalBroker() {
		var install = new Helm(TokenBrokerChart.CHART).install()
			.clientOnly()
			.dryRun()
			.withName(TokenBrokerChart.RELEASE)
			.withNamespace(TokenBrokerChart.NAMESPACE)
			.withKubeVersion(TokenBrokerChart.KUBE_VERSION)
			.withValuesFile(TokenBrokerChart.valuesFile(SCENARIO));

		String notes = install.call().getOutput();

		assertThat(notes).contains("(node mode)")
			.contains("http://tb-token-broker.ml-apps.svc:8080/tokens/<service>")
			.contains("their own node")
			.contains("dropped")
			.contains("rollout status daemonset/tb-token-broker")
			.contains("Fleet mode: the brokers of every node share tokens through Redis")
			.contains("plaintext");
	}

}
