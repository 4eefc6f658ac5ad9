package com.acme.tokenbroker.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * {@code helm lint --strict} and {@code helm template} of {@code helm/token-broker} for
 * the value sets under {@code src/test/resources/deploy/values}, and what the rendered
 * objects must say: ports and probes, the security context, identity wiring, the optional
 * parts. The sidecar as users include it is covered by {@link SidecarTemplateTests}; the
 * ConfigMap's content by {@link RenderedConfigurationBindingTests}; fleet mode by
 * {@link FleetChartTests}; what is node mode's own by {@link NodeModeChartTests}.
 */
class HelmChartTests {

	static final List<String> SCENARIOS = TokenBrokerChart.SCENARIOS;

	static final List<String> STANDALONE_SCENARIOS = SCENARIOS.stream()
		.filter((s) -> s.startsWith("standalone"))
		.toList();

	/** Node mode's value sets: a DaemonSet behind a node-local Service. */
	static final List<String> NODE_SCENARIOS = SCENARIOS.stream().filter((s) -> s.startsWith("node")).toList();

	@TempDir
	Path workDir;

	@ParameterizedTest
	@NullSource
	@FieldSource("SCENARIOS")
	void lintStrictPassesForTheDefaultsAndEveryValueSet(String scenario) {
		LintResult result = TokenBrokerChart.lint(scenario, this.workDir);

		assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
	}

	@Test
	void lintStrictFailsWhenTheDefaultsBreakTheSchema() throws Exception {
		Path chart = this.workDir.resolve("token-broker");
		TokenBrokerChart.copy(TokenBrokerChart.CHART, chart);
		String values = Files.readString(chart.resolve("values.yaml"));
		Files.writeString(chart.resolve("values.yaml"), values.replace("mode: sidecar", "mode: daemonset"));

		LintResult result = new Helm(chart).lint().strict().call();

		assertThat(result.isFailed()).isTrue();
		assertThat(String.join("\n", result.getMessages())).contains("mode");
	}

	@Test
	void lintStrictFailsWhenATemplateRendersInvalidYaml() throws Exception {
		Path chart = this.workDir.resolve("token-broker");
		TokenBrokerChart.copy(TokenBrokerChart.CHART, chart);
		Path template = chart.resolve("templates/serviceaccount.yaml");
		Files.writeString(template, Files.readString(template)
			.replace("automountServiceAccountToken: false", "automountServiceAccountToken: false\nbroken: [unclosed"));

		LintResult result = new Helm(chart).lint().strict().call();

		assertThat(result.isFailed()).isTrue();
		assertThat(String.join("\n", result.getMessages())).contains("serviceaccount.yaml");
	}

	@Test
	void theDefaultsRenderTheSidecarsSharedPiecesOnly() {
		Manifests manifests = TokenBrokerChart.renderDefaults();

		assertThat(manifests.kinds()).containsExactlyInAnyOrder("ServiceAccount", "ConfigMap");
		assertThat(manifests.applicationConfig().at("/server/address").asString()).isEqualTo("127.0.0.1");
	}

	@Test
	void sidecarModeRendersNoWorkloadOfItsOwn() {
		Manifests manifests = TokenBrokerChart.render("sidecar-workload-identity");

		assertThat(manifests.kinds()).containsExactlyInAnyOrder("ServiceAccount", "ConfigMap", "ConfigMap",
				"PodMonitor");
		assertThat(manifests.podSpecs()).isEmpty();
	}

	@ParameterizedTest
	@FieldSource("STANDALONE_SCENARIOS")
	void standaloneModeRendersADeploymentAServiceAndADisruptionBudget(String scenario) {
		Manifests manifests = TokenBrokerChart.render(scenario);

		assertThat(manifests.kinds()).contains("Deployment", "Service", "PodDisruptionBudget", "ConfigMap");
		JsonNode deployment = manifests.one("Deployment");
		JsonNode selector = deployment.at("/spec/selector/matchLabels");
		assertThat(manifests.one("Service").at("/spec/selector")).isEqualTo(selector);
		assertThat(manifests.one("PodDisruptionBudget").at("/spec/selector/matchLabels")).isEqualTo(selector);
		assertThat(deployment.at("/spec/template/metadata/labels").properties()).containsAll(selector.properties());
		assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).isZero();
	}

	@Test
	void theApiIsOnLoopbackInASidecarAndOnAllInterfacesStandalone() {
		JsonNode sidecar = TokenBrokerChart.render("sidecar-client-secret").applicationConfig();
		JsonNode standalone = TokenBrokerChart.render("standalone-client-secret").applicationConfig();

		assertThat(sidecar.at("/server/address").asString()).isEqualTo("127.0.0.1");
		assertThat(standalone.at("/server/address").asString()).isEqualTo("0.0.0.0");
		assertThat(sidecar.at("/management/server/address").asString()).isEqualTo("0.0.0.0");
		assertThat(standalone.at("/management/server/address").asString()).isEqualTo("0.0.0.0");
	}

	/** The broker's own workload: standalone's Deployment or node mode's DaemonSet. */
	static JsonNode workload(Manifests manifests) {
		return manifests.kinds().contains("DaemonSet") ? manifests.one("DaemonSet") : manifests.one("Deployment");
	}

	static Stream<Arguments> brokerContainers() {
		List<Arguments> containers = new ArrayList<>();
		for (String scenario : Stream.concat(STANDALONE_SCENARIOS.stream(), NODE_SCENARIOS.stream()).toList()) {
			Manifests manifests = TokenBrokerChart.render(scenario);
			JsonNode pod = workload(manifests).at("/spec/template/spec");
			containers
				.add(Arguments.of(scenario, manifests, Manifests.container(pod, "containers", "token-broker"), pod));
		}
		return containers.stream();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("brokerContainers")
	void containerPortsAndProbesMatchTheRenderedConfiguration(String scenario, Manifests manifests, JsonNode container,
			JsonNode pod) {
		JsonNode config = manifests.applicationConfig();

		int api = Manifests.named(container.path("ports"), "broker-api").path("containerPort").asInt();
		int management = Manifests.named(container.path("ports"), "broker-mgmt").path("containerPort").asInt();
		assertThat(api).isEqualTo(config.at("/server/port").asInt()).isEqualTo(8080);
		assertThat(management).isEqualTo(config.at("/management/server/port").asInt()).isEqualTo(8081);
		assertThat(container.at("/livenessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
		assertThat(container.at("/readinessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/readiness");
		// Standalone and node: the startup probe waits for the process; readiness keeps
		// it
		// out of the Service until it has tokens.
		assertThat(container.at("/startupProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
		for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
			assertThat(container.at("/" + probe + "/httpGet/port").asString()).as(probe).isEqualTo("broker-mgmt");
		}
		JsonNode service = manifests.one("Service");
		// With TLS on the API port (issue 11, item 8) the Service names it https.
		String apiPortName = config.at("/server/ssl/bundle").isMissingNode() ? "http" : "https";
		assertThat(Manifests.named(service.at("/spec/ports"), apiPortName).path("targetPort").asString())
			.isEqualTo("broker-api");
		assertThat(Manifests.named(service.at("/spec/ports"), "management").path("targetPort").asString())
			.isEqualTo("broker-mgmt");
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("brokerContainers")
	void theBrokerRunsHardened(String scenario, Manifests manifests, JsonNode container, JsonNode pod) {
		JsonNode security = container.path("securityContext");
		assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
		assertThat(security.path("runAsUser").asInt()).isEqualTo(10001);
		assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
		assertThat(security.path("allowPrivilegeEscalation").asBoolean()).isFalse();
		assertThat(security.at("/capabilities/drop").values()).extracting(JsonNode::asString).containsExactly("ALL");
		assertThat(security.at("/seccompProfile/type").asString()).isEqualTo("RuntimeDefault");
		assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
		assertThat(pod.at("/securityContext/seccompProfile/type").asString()).isEqualTo("RuntimeDefault");
		assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
		JsonNode tmp = Manifests.named(container.path("volumeMounts"), "token-broker-tmp");
		assertThat(tmp.path("mountPath").asString()).isEqualTo("/tmp");
		assertThat(Manifests.named(pod.path("volumes"), "token-broker-tmp").has("emptyDir")).isTrue();
		JsonNode config = Manifests.named(container.path("volumeMounts"), "token-broker-config");
		assertThat(config.path("mountPath").asString()).isEqualTo("/app/config");
		assertThat(config.path("readOnly").asBoolean()).isTrue();
		assertThat(Manifests.named(pod.path("volumes"), "token-broker-config").at("/configMap/name").asString())
			.isEqualTo(manifests.all("ConfigMap").get(0).at("/metadata/name").asString());
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("brokerContainers")
	void memoryIsRequestedAndLimitedFromTheMeasuredFootprintAndCpuIsNotLimited(String scenario, Manifests manifests,
			JsonNode container, JsonNode pod) {
		JsonNode resources = container.path("resources");

		// Sized from the measured footprint (docs/deploy.md, "Footprint"; the method in
		// bench/README.md).
		assertThat(resources.at("/requests/cpu").asString()).isEqualTo("100m");
		assertThat(resources.at("/requests/memory").asString()).isEqualTo("320Mi");
		assertThat(resources.at("/limits/memory").asString()).isEqualTo("384Mi");
		assertThat(resources.at("/limits/cpu").isMissingNode()).isTrue();
	}

	@Test
	void workloadIdentityProjectsTheFederatedTokenAndAnnotatesTheServiceAccount() {
		Manifests manifests = TokenBrokerChart.render("standalone-workload-identity");

		JsonNode deployment = manifests.one("Deployment");
		JsonNode serviceAccount = manifests.one("ServiceAccount");
		// Issue 11, item 1: the chart's own projected token, as in sidecar mode; the
		// webhook only on request.
		assertThat(deployment.at("/spec/template/metadata/labels").has("azure.workload.identity/use")).isFalse();
		assertThat(Manifests.named(deployment.at("/spec/template/spec/volumes"), "token-broker-azure-identity")
			.at("/projected/sources/0/serviceAccountToken/audience")
			.asString()).isEqualTo("api://AzureADTokenExchange");
		assertThat(TokenBrokerChart
			.render("standalone-workload-identity", Map.of("identity.workloadIdentity.useWebhook", true))
			.one("Deployment")
			.at("/spec/template/metadata/labels/azure.workload.identity~1use")
			.asString()).isEqualTo("true");
		assertThat(serviceAccount.at("/metadata/annotations/azure.workload.identity~1client-id").asString())
			.isEqualTo("0b5e3c1a-6f2d-4e8b-9a7c-1d2e3f4a5b6c");
		assertThat(deployment.at("/spec/template/spec/serviceAccountName").asString())
			.isEqualTo(serviceAccount.at("/metadata/name").asString());
		assertThat(manifests.applicationConfig().at("/broker/identity/mode").asString()).isEqualTo("workload-identity");
		assertThat(deployment.at("/spec/template/spec/volumes").toString()).doesNotContain("secret");
	}

	@Test
	void aClientSecretIsMountedFromItsSecretAndNamedInTheConfig() {
		Manifests manifests = TokenBrokerChart.render("standalone-client-secret");

		JsonNode pod = manifests.one("Deployment").at("/spec/template/spec");
		JsonNode container = Manifests.container(pod, "containers", "token-broker");
		JsonNode volume = Manifests.named(pod.path("volumes"), "token-broker-identity");
		JsonNode mount = Manifests.named(container.path("volumeMounts"), "token-broker-identity");
		JsonNode identity = manifests.applicationConfig().at("/broker/identity");
		assertThat(volume.at("/secret/secretName").asString()).isEqualTo("token-broker-sp");
		assertThat(volume.at("/secret/items/0/key").asString()).isEqualTo("secret");
		assertThat(mount.path("readOnly").asBoolean()).isTrue();
		assertThat(identity.path("mode").asString()).isEqualTo("client-secret");
		assertThat(identity.path("client-secret-file").asString())
			.isEqualTo(mount.path("mountPath").asString() + "/" + volume.at("/secret/items/0/path").asString());
		assertThat(identity.path("tenant-id").asString()).isEqualTo("72f988bf-0000-4000-8000-000000000001");
		assertThat(pod.at("/metadata/labels/azure.workload.identity~1use").isMissingNode()).isTrue();
		assertThat(manifests.one("Deployment").at("/spec/template/metadata/labels").has("azure.workload.identity/use"))
			.isFalse();
		assertThat(manifests.one("ServiceAccount").at("/metadata/annotations").isMissingNode()).isTrue();
		assertThat(manifests.one("Deployment").at("/spec/replicas").asInt()).isEqualTo(3);
	}

	@Test
	void aClientCertificateIsMountedWithItsPasswordFromTheSecret() {
		Manifests manifests = TokenBrokerChart.render("standalone-everything-on");

		JsonNode pod = manifests.one("Deployment").at("/spec/template/spec");
		JsonNode container = Manifests.container(pod, "containers", "token-broker");
		JsonNode identity = manifests.applicationConfig().at("/broker/identity");
		JsonNode password = Manifests.named(container.path("env"), "BROKER_IDENTITY_CERTIFICATEPASSWORD");
		assertThat(identity.path("certificate-path").asString())
			.isEqualTo("/var/run/secrets/token-broker/identity/broker.pfx");
		assertThat(identity.path("send-certificate-chain").asBoolean()).isTrue();
		assertThat(Manifests.named(pod.path("volumes"), "token-broker-identity").at("/secret/secretName").asString())
			.isEqualTo("token-broker-cert");
		assertThat(password.at("/valueFrom/secretKeyRef/name").asString()).isEqualTo("token-broker-cert");
		assertThat(password.at("/valueFrom/secretKeyRef/key").asString()).isEqualTo("password");
		assertThat(Manifests.named(container.path("env"), "JDK_JAVA_OPTIONS").path("value").asString())
			.isEqualTo("-XX:MaxRAMPercentage=60");
		assertThat(Manifests.named(container.path("env"), "TZ").path("value").asString()).isEqualTo("UTC");
	}

	@Test
	void theChartsOwnSettingsWinOverExtraConfigAndTheRestIsMerged() {
		JsonNode config = TokenBrokerChart.render("standalone-everything-on").applicationConfig();

		assertThat(config.at("/server/port").asInt()).isEqualTo(8080);
		assertThat(
				config.at("/resilience4j/circuitbreaker/instances/westeurope/wait-duration-in-open-state").asString())
			.isEqualTo("30s");
		assertThat(config.at("/logging/level/com.acme.tokenbroker").asString()).isEqualTo("DEBUG");
	}

	@Test
	void theOptionalPartsRenderWhenSwitchedOn() {
		Manifests manifests = TokenBrokerChart.render("standalone-everything-on");

		JsonNode policy = manifests.one("NetworkPolicy");
		assertThat(policy.at("/spec/podSelector/matchLabels"))
			.isEqualTo(manifests.one("Deployment").at("/spec/selector/matchLabels"));
		assertThat(policy.at("/spec/ingress/0/ports/0/port").asString()).isEqualTo("broker-api");
		assertThat(policy.at("/spec/ingress/0/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name")
			.asString()).isEqualTo("payments");
		assertThat(policy.at("/spec/ingress/1/ports/0/port").asString()).isEqualTo("broker-mgmt");
		assertThat(policy.at("/spec/egress").toString()).contains("443").contains("53");
		JsonNode monitor = manifests.one("ServiceMonitor");
		assertThat(monitor.at("/metadata/labels/release").asString()).isEqualTo("kube-prometheus-stack");
		assertThat(monitor.at("/spec/endpoints/0/path").asString()).isEqualTo("/actuator/prometheus");
		String monitoredPort = monitor.at("/spec/endpoints/0/port").asString();
		assertThat(Manifests.named(manifests.one("Service").at("/spec/ports"), monitoredPort).path("port").asInt())
			.isEqualTo(8081);
		assertThat(manifests.one("PodDisruptionBudget").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
		assertThat(manifests.one("PodDisruptionBudget").at("/spec/minAvailable").isMissingNode()).isTrue();
		JsonNode dashboard = manifests.all("ConfigMap")
			.stream()
			.filter((configMap) -> configMap.at("/data/token-broker.json").isString())
			.findFirst()
			.orElseThrow();
		assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asString()).isEqualTo("1");
		JsonNode json = JsonMapper.shared().readTree(dashboard.at("/data/token-broker.json").asString());
		assertThat(json.path("title").asString()).isEqualTo("token-broker");
		assertThat(json.path("panels").size()).isGreaterThan(5);
	}

	@Test
	void theOptionalPartsAreOffByDefault() {
		Manifests manifests = TokenBrokerChart.render("standalone-client-secret");

		assertThat(manifests.kinds()).doesNotContain("NetworkPolicy", "ServiceMonitor", "PodMonitor");
		assertThat(manifests.all("ConfigMap")).hasSize(1);
	}

	@Test
	void sidecarModeMonitorsThePodsThatIncludeTheSidecar() {
		Manifests manifests = TokenBrokerChart.render("sidecar-workload-identity");

		JsonNode monitor = manifests.one("PodMonitor");
		assertThat(monitor.at("/spec/selector/matchLabels/token-broker.acme.com~1sidecar").asString())
			.isEqualTo("tb-token-broker");
		assertThat(monitor.at("/spec/podMetricsEndpoints/0/port").asString()).isEqualTo("broker-mgmt");
		assertThat(monitor.at("/spec/podMetricsEndpoints/0/path").asString()).isEqualTo("/actuator/prometheus");
	}

	@Test
	void aConfigChangeChangesThePodTemplateSoThePodsRoll() {
		String before = TokenBrokerChart.render("standalone-workload-identity")
			.one("Deployment")
			.at("/spec/template/metadata/annotations/checksum~1token-broker-config")
			.asString();
		String after = TokenBrokerChart
			.render("standalone-workload-identity", Map.of("config.tokens.min-runway", "20m"))
			.one("Deployment")
			.at("/spec/template/metadata/annotations/checksum~1token-broker-config")
			.asString();

		assertThat(before).hasSize(64);
		assertThat(after).hasSize(64).isNotEqualTo(before);
	}

	@Test
	void theImageDefaultsToTheChartsAppVersionAndCanBePinnedByDigest() {
		String digest = "sha256:" + "ab".repeat(32);

		String byTag = image(TokenBrokerChart.render("standalone-workload-identity"));
		String byDigest = image(
				TokenBrokerChart.render("standalone-workload-identity", Map.of("image.digest", digest)));

		assertThat(byTag).isEqualTo("ghcr.io/acme/token-broker:0.1.0");
		assertThat(byDigest).isEqualTo("ghcr.io/acme/token-broker@" + digest);
	}

	private static String image(Manifests manifests) {
		return manifests.one("Deployment").at("/spec/template/spec/containers/0/image").asString();
	}

	static Stream<Arguments> invalidValues() {
		return Stream.of(Arguments.of("mode", "daemonset", "mode"),
				Arguments.of("identity.mode", "password", "identity"),
				Arguments.of("ports.management", "8080", "must differ"),
				Arguments.of("securityContext.readOnlyRootFilesystem", "false", "readOnlyRootFilesystem"),
				Arguments.of("identity.clientSecret.existingSecret", "", "existingSecret"),
				Arguments.of("config.services.bad name.workspace", "ml-weu", "bad name"));
	}

	@ParameterizedTest(name = "{0}={1}")
	@MethodSource("invalidValues")
	void invalidValuesStopTheRendering(String key, String value, String message) {
		assertThatException().isThrownBy(() -> TokenBrokerChart.render("standalone-client-secret", Map.of(key, value)))
			.withMessageContaining(message);
	}

	@Test
	void everyObjectCarriesTheChartsLabels() {
		for (String scenario : SCENARIOS) {
			for (JsonNode object : TokenBrokerChart.render(scenario).objects()) {
				JsonNode labels = object.at("/metadata/labels");
				assertThat(labels.path("app.kubernetes.io/name").asString()).as(scenario + " " + object.path("kind"))
					.isEqualTo("token-broker");
				assertThat(labels.path("app.kubernetes.io/instance").asString()).isEqualTo(TokenBrokerChart.RELEASE);
				assertThat(StreamSupport.stream(labels.properties().spliterator(), false).count()).isGreaterThan(4);
			}
		}
	}

}
