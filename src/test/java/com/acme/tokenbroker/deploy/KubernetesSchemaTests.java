package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every manifest the chart renders, for every value set and as the example app chart's
 * sidecar (with and without fleet mode), is valid against the Kubernetes API schemas (npm
 * {@code kubernetes-models}, {@code @kubernetes-models/prometheus-operator} for the
 * monitors and {@code @kubernetes-models/cert-manager} for the API's Certificate),
 * offline, with unknown fields reported too.
 */
class KubernetesSchemaTests {

	static final Path OUTPUT = Path.of("target/deploy/manifests");

	@Test
	void everyRenderedManifestIsValidAgainstTheKubernetesSchemas(@TempDir Path workDir) {
		List<Path> files = new ArrayList<>();
		for (String scenario : TokenBrokerChart.SCENARIOS) {
			files.add(write(scenario, TokenBrokerChart.render(scenario)));
		}
		files.add(write("defaults", TokenBrokerChart.renderDefaults()));
		files.add(write("app-chart", TokenBrokerChart.renderAppChart(workDir)));
		files.add(write("app-chart-fleet", TokenBrokerChart.renderAppChart(workDir, FleetChartTests.SIDECAR_FLEET_ON)));
		files.add(write("node-without-fleet",
				TokenBrokerChart.render("node-workload-identity", Map.of("fleet.enabled", false))));
		// Issue 15: the Service's IP families, and the preStop sleep action of Kubernetes
		// 1.30
		files.add(write("standalone-ipv6",
				TokenBrokerChart.render("standalone-workload-identity", Map.of("ipFamily", "ipv6"), "1.30.0")));
		files.add(write("node-dual-stack", TokenBrokerChart.render("node-everything-on", Map.of("ipFamily", "dual"))));

		DeployChecks.Result result = DeployChecks.validateManifests(files);

		assertThat(result.exitStatus()).as(result.output()).isZero();
		assertThat(result.output()).contains("ok   ").doesNotContain("FAIL");
		assertThat(result.output()).contains("Deployment tb-token-broker", "DaemonSet tb-token-broker",
				"Deployment tb-scorer", "Service tb-token-broker", "PodDisruptionBudget tb-token-broker",
				"NetworkPolicy tb-token-broker", "ServiceMonitor tb-token-broker", "PodMonitor tb-token-broker",
				"ConfigMap tb-token-broker-dashboard", "Certificate tb-token-broker-tls",
				"PrometheusRule tb-token-broker");
	}

	@Test
	void theValidatorRejectsWrongTypesMissingFieldsAndUnknownFields() {
		assertThat(rejected("deployment.yaml")).contains("FAIL")
			.contains("/spec/template/spec/containers/0/ports/0/containerPort")
			.contains("/spec/template/spec/containers/0/readinesProbe: unknown field")
			.contains("name");
	}

	@Test
	void theValidatorRejectsABrokenCertManagerCertificate() {
		assertThat(rejected("certificate.yaml")).contains("FAIL")
			.doesNotContain("no schema for")
			.contains("issuerRef")
			.contains("/spec/privateKey/encoding")
			.contains("/spec/usages/0")
			.contains("/spec/dnsName: unknown field");
	}

	@Test
	void theValidatorRejectsKindsItHasNoSchemaFor() {
		assertThat(rejected("unknown-kind.yaml")).contains("no schema for example.com/v1 Widget");
	}

	/**
	 * @param file a manifest under {@code src/test/resources/deploy/invalid}
	 * @return the validator's output, once its exit status is asserted to be 1
	 */
	private static String rejected(String file) {
		DeployChecks.Result result = DeployChecks
			.validateManifests(List.of(Path.of("src/test/resources/deploy/invalid").resolve(file)));
		assertThat(result.exitStatus()).as(result.output()).isEqualTo(1);
		return result.output();
	}

	private static Path write(String name, Manifests manifests) {
		Path file = OUTPUT.resolve(name + ".yaml");
		TokenBrokerChart.write(file, manifests.yaml());
		return file;
	}

}
