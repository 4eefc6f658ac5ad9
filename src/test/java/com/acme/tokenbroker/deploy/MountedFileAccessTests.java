package com.acme.tokenbroker.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11, item 3: the broker (uid 10001) can read every file its configuration names
 * (client secret, client certificate, federated token, TLS key and certificate), whatever
 * the pod's {@code fsGroup}, in sidecar mode (the app's pod, whose security context the
 * broker does not choose), standalone and node mode. The owner, group and mode are those
 * the kubelet gives the rendered volumes ({@link PodFileAccess}); the app's caller token
 * must stay readable by the app's own user.
 */
class MountedFileAccessTests {

	@TempDir
	static Path workDir;

	/** Where the rendered configuration names a file the broker opens. */
	static final List<String> FILE_SETTINGS = List.of("/broker/identity/client-secret-file",
			"/broker/identity/certificate-path", "/broker/identity/token-file",
			"/spring/ssl/bundle/pem/api/keystore/certificate", "/spring/ssl/bundle/pem/api/keystore/private-key");

	static final Map<String, Object> SIDECAR_CLIENT_SECRET = Map.of("token-broker.identity.mode", "client-secret",
			"token-broker.identity.clientSecret.existingSecret", "token-broker-sp");

	static final Map<String, Object> SIDECAR_CLIENT_CERTIFICATE = Map.of("token-broker.identity.mode",
			"client-certificate", "token-broker.identity.clientCertificate.existingSecret", "token-broker-cert");

	static final Map<String, Object> STANDALONE_TLS = Map.of("tls.enabled", true, "tls.existingSecret", "tb-api-tls");

	static Stream<Arguments> deployments() throws Exception {
		List<Arguments> cases = new ArrayList<>();
		sidecar(cases, "sidecar, workload identity", Map.of(), "/broker/identity/token-file");
		sidecar(cases, "sidecar, workload identity, pod fsGroup 2000", Map.of("fsGroup", 2000),
				"/broker/identity/token-file");
		sidecar(cases, "sidecar, client secret", SIDECAR_CLIENT_SECRET, "/broker/identity/client-secret-file");
		sidecar(cases, "sidecar, client secret, pod fsGroup 2000", with(SIDECAR_CLIENT_SECRET, "fsGroup", 2000),
				"/broker/identity/client-secret-file");
		sidecar(cases, "sidecar, client certificate", SIDECAR_CLIENT_CERTIFICATE, "/broker/identity/certificate-path");
		standalone(cases, "standalone-client-secret", Map.of(), "/broker/identity/client-secret-file");
		standalone(cases, "standalone-client-secret", Map.of("podSecurityContext.fsGroup", "null"),
				"/broker/identity/client-secret-file");
		standalone(cases, "standalone-everything-on", Map.of(), "/broker/identity/certificate-path");
		standalone(cases, "standalone-workload-identity", Map.of(), "/broker/identity/token-file");
		standalone(cases, "standalone-workload-identity", with(STANDALONE_TLS, "podSecurityContext.fsGroup", "null"),
				"/broker/identity/token-file", "/spring/ssl/bundle/pem/api/keystore/certificate",
				"/spring/ssl/bundle/pem/api/keystore/private-key");
		standalone(cases, "node-workload-identity", Map.of(), "/broker/identity/token-file");
		standalone(cases, "node-workload-identity", Map.of("podSecurityContext.fsGroup", "null"),
				"/broker/identity/token-file");
		standalone(cases, "node-everything-on", Map.of("podSecurityContext.fsGroup", "null"),
				"/broker/identity/client-secret-file", "/spring/ssl/bundle/pem/api/keystore/certificate",
				"/spring/ssl/bundle/pem/api/keystore/private-key");
		return cases.stream();
	}

	private static void sidecar(List<Arguments> cases, String name, Map<String, Object> sets, String... files)
			throws Exception {
		Manifests manifests = TokenBrokerChart.renderAppChart(Files.createTempDirectory(workDir, "app"), sets);
		JsonNode pod = manifests.one("Deployment").at("/spec/template/spec");
		cases.add(Arguments.of(name, manifests, pod, Manifests.container(pod, "initContainers", "token-broker"),
				List.of(files)));
	}

	/** The broker's own pod: standalone's Deployment or node mode's DaemonSet. */
	private static void standalone(List<Arguments> cases, String scenario, Map<String, Object> sets, String... files) {
		Manifests manifests = TokenBrokerChart.render(scenario, sets);
		JsonNode pod = HelmChartTests.workload(manifests).at("/spec/template/spec");
		cases.add(Arguments.of(scenario + " " + sets, manifests, pod,
				Manifests.container(pod, "containers", "token-broker"), List.of(files)));
	}

	private static Map<String, Object> with(Map<String, Object> sets, String key, Object value) {
		Map<String, Object> merged = new LinkedHashMap<>(sets);
		merged.put(key, value);
		return merged;
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("deployments")
	void theBrokerCanReadEveryFileItsConfigurationNames(String name, Manifests manifests, JsonNode pod, JsonNode broker,
			List<String> expected) {
		JsonNode config = manifests.applicationConfig();
		List<String> named = FILE_SETTINGS.stream().filter((setting) -> config.at(setting).isString()).toList();

		assertThat(named).as("files named in the configuration").containsExactlyInAnyOrderElementsOf(expected);
		for (String setting : named) {
			String path = config.at(setting).asString();
			PodFileAccess.FileAccess file = PodFileAccess.file(pod, broker, path)
				.orElseThrow(
						() -> new AssertionError(setting + ": no volume of the broker's container projects " + path));
			assertThat(PodFileAccess.canRead(pod, broker, file))
				.as("%s: uid %s, groups %s, file %s", setting, PodFileAccess.runAsUser(pod, broker),
						PodFileAccess.groups(pod, broker), file)
				.isTrue();
		}
	}

	static Stream<Arguments> sidecars() throws Exception {
		return deployments().filter((arguments) -> ((String) arguments.get()[0]).startsWith("sidecar"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("sidecars")
	void theAppCanReadItsCallerToken(String name, Manifests manifests, JsonNode pod, JsonNode broker,
			List<String> expected) {
		JsonNode app = Manifests.container(pod, "containers", "scorer");
		String path = Manifests.named(app.path("env"), "TOKEN_BROKER_CALLER_TOKEN_FILE").path("value").asString();

		PodFileAccess.FileAccess file = PodFileAccess.file(pod, app, path).orElseThrow();

		assertThat(PodFileAccess.canRead(pod, app, file)).as("uid %s, file %s", PodFileAccess.runAsUser(pod, app), file)
			.isTrue();
	}

}
