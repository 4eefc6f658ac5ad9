package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.marcnuri.helm.Helm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.ssl.PemSslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.bind.Binder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 11, item 8 (chart side): TLS on the standalone broker's API port from a
 * kubernetes.io/tls Secret or a cert-manager Certificate, rendered as Spring Boot's PEM
 * SSL bundle {@code api} (reloaded on change), with the Service, probes, NetworkPolicy
 * and ServiceMonitor consistent with it; and a caller audience per release
 * ({@code token-broker.<namespace>.<release>}) where the operator names none.
 */
class ApiTlsAndAudienceChartTests {

	static final String DEFAULT_AUDIENCE = "token-broker." + TokenBrokerChart.NAMESPACE + "."
			+ TokenBrokerChart.RELEASE;

	static final String SCENARIO = "standalone-workload-identity";

	static final Map<String, Object> EXISTING_SECRET = Map.of("tls.enabled", true, "tls.existingSecret", "tb-api-tls");

	static final Map<String, Object> CERT_MANAGER = Map.of("tls.enabled", true, "tls.certManager.issuerRef.name",
			"internal-ca", "tls.certManager.issuerRef.kind", "ClusterIssuer");

	static final String ISSUER = "https://westeurope.oic.prod-aks.azure.com/72f988bf-0000-4000-8000-000000000001/"
			+ "3c5f1e2a-0000-4000-8000-000000000002/";

	@TempDir
	Path workDir;

	@Test
	void tlsFromAnExistingSecretIsSpringBootsPemBundleReloadedOnChange() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO, EXISTING_SECRET);
		JsonNode spec = manifests.one("Deployment").at("/spec/template/spec");
		JsonNode broker = Manifests.container(spec, "containers", "token-broker");
		JsonNode config = manifests.applicationConfig();

		JsonNode volume = Manifests.named(spec.path("volumes"), "token-broker-tls");
		JsonNode mount = Manifests.named(broker.path("volumeMounts"), "token-broker-tls");
		String dir = mount.path("mountPath").asString();
		assertThat(volume.at("/secret/secretName").asString()).isEqualTo("tb-api-tls");
		assertThat(mount.path("readOnly").asBoolean()).isTrue();
		assertThat(mount.has("subPath")).as("a subPath mount is never updated").isFalse();
		assertThat(config.at("/server/ssl")).isEqualTo(json("{\"bundle\":\"api\"}"));
		assertThat(config.at("/spring/ssl/bundle/pem/api")).isEqualTo(json("{\"reload-on-update\":true,\"keystore\":"
				+ "{\"certificate\":\"" + dir + "/tls.crt\",\"private-key\":\"" + dir + "/tls.key\"}}"));
		assertThat(manifests.kinds()).doesNotContain("Certificate");
	}

	@Test
	void theRenderedBundleBindsToSpringBootsSslProperties() {
		String yaml = TokenBrokerChart.render(SCENARIO, EXISTING_SECRET).applicationYaml();
		Binder binder = RenderedConfigurationBindingTests.binder(yaml);

		SslProperties ssl = binder.bindOrCreate("spring.ssl", SslProperties.class);
		PemSslBundleProperties api = ssl.getBundle().getPem().get("api");

		assertThat(binder.bind("server.ssl.bundle", String.class).get()).isEqualTo("api");
		assertThat(api.isReloadOnUpdate()).isTrue();
		assertThat(api.getKeystore().getCertificate()).endsWith("/tls.crt");
		assertThat(api.getKeystore().getPrivateKey()).endsWith("/tls.key");
	}

	@Test
	void withTlsTheServiceSpeaksHttpsAndProbesAndMetricsStayPlainHttpOnManagement() {
		Map<String, Object> sets = new LinkedHashMap<>(EXISTING_SECRET);
		sets.put("networkPolicy.enabled", true);
		sets.put("metrics.serviceMonitor.enabled", true);
		Manifests manifests = TokenBrokerChart.render(SCENARIO, sets);
		JsonNode broker = Manifests.container(manifests.one("Deployment").at("/spec/template/spec"), "containers",
				"token-broker");

		JsonNode api = Manifests.named(manifests.one("Service").at("/spec/ports"), "https");
		assertThat(api.path("targetPort").asString()).isEqualTo("broker-api");
		assertThat(api.path("appProtocol").asString()).isEqualTo("https");
		for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
			assertThat(broker.at("/" + probe + "/httpGet/port").asString()).as(probe).isEqualTo("broker-mgmt");
			assertThat(broker.at("/" + probe + "/httpGet/scheme").asString("HTTP")).as(probe).isEqualTo("HTTP");
		}
		JsonNode endpoint = manifests.one("ServiceMonitor").at("/spec/endpoints/0");
		assertThat(endpoint.path("port").asString()).isEqualTo("management");
		assertThat(endpoint.path("scheme").asString()).isEqualTo("http");
		assertThat(manifests.one("NetworkPolicy").at("/spec/ingress/0/ports/0/port").asString())
			.isEqualTo("broker-api");
		// Without TLS the port keeps its name.
		assertThat(Manifests.named(TokenBrokerChart.render(SCENARIO).one("Service").at("/spec/ports"), "http")
			.path("targetPort")
			.asString()).isEqualTo("broker-api");
	}

	@Test
	void certManagerIssuesTheCertificateForTheServicesClusterNames() {
		Manifests manifests = TokenBrokerChart.render(SCENARIO, CERT_MANAGER);
		JsonNode certificate = manifests.one("Certificate");
		JsonNode volume = Manifests.named(manifests.one("Deployment").at("/spec/template/spec/volumes"),
				"token-broker-tls");
		String service = manifests.one("Service").at("/metadata/name").asString();
		String namespace = TokenBrokerChart.NAMESPACE;

		assertThat(certificate.path("apiVersion").asString()).isEqualTo("cert-manager.io/v1");
		assertThat(certificate.at("/spec/secretName").asString()).isEqualTo(volume.at("/secret/secretName").asString());
		assertThat(certificate.at("/spec/dnsNames").values()).extracting(JsonNode::asString)
			.containsExactly(service, service + "." + namespace, service + "." + namespace + ".svc",
					service + "." + namespace + ".svc.cluster.local");
		assertThat(certificate.at("/spec/issuerRef"))
			.isEqualTo(json("{\"name\":\"internal-ca\",\"kind\":\"ClusterIssuer\",\"group\":\"cert-manager.io\"}"));
		// Spring Boot reads PKCS#8 keys; cert-manager writes PKCS#1 unless told.
		assertThat(certificate.at("/spec/privateKey/encoding").asString()).isEqualTo("PKCS8");
		assertThat(certificate.at("/spec/privateKey/rotationPolicy").asString()).isEqualTo("Always");
	}

	@Test
	void theTlsValueSetsOfTheSchemaCheckTurnTlsOnFromEachSource() {
		// KubernetesSchemaTests and helm lint --strict run over these; they must keep
		// rendering what they are named for.
		Manifests existingSecret = TokenBrokerChart.render("standalone-tls-existing-secret");
		Manifests certManager = TokenBrokerChart.render("standalone-tls-cert-manager");

		for (Manifests manifests : List.of(existingSecret, certManager)) {
			assertThat(manifests.applicationConfig().at("/server/ssl/bundle").asString()).isEqualTo("api");
			assertThat(
					Manifests.named(manifests.one("Service").at("/spec/ports"), "https").path("targetPort").asString())
				.isEqualTo("broker-api");
		}
		assertThat(existingSecret.kinds()).doesNotContain("Certificate").contains("NetworkPolicy", "ServiceMonitor");
		assertThat(
				Manifests.named(existingSecret.one("Deployment").at("/spec/template/spec/volumes"), "token-broker-tls")
					.at("/secret/secretName")
					.asString())
			.isEqualTo("tb-api-tls");
		assertThat(certManager.one("Certificate").at("/spec/issuerRef/name").asString()).isEqualTo("internal-ca");
	}

	@Test
	void tlsNeedsExactlyOneSourceAndStandaloneMode() {
		Map<String, Object> both = new LinkedHashMap<>(CERT_MANAGER);
		both.put("tls.existingSecret", "tb-api-tls");

		assertThatException().isThrownBy(() -> TokenBrokerChart.render(SCENARIO, Map.of("tls.enabled", true)))
			.withMessageContaining("tls.existingSecret or tls.certManager.issuerRef.name");
		assertThatException().isThrownBy(() -> TokenBrokerChart.render(SCENARIO, both))
			.withMessageContaining("not both");
		assertThatException().isThrownBy(() -> TokenBrokerChart.render("sidecar-workload-identity", EXISTING_SECRET))
			.withMessageContaining("standalone");
	}

	@Test
	void theNotesWarnOfAPlaintextStandaloneApiAndNameTheHttpsUrlWithTls() {
		String plaintext = notes(Map.of());
		String tls = notes(EXISTING_SECRET);

		assertThat(plaintext).contains("WARNING")
			.contains("plaintext")
			.contains("tls.enabled")
			.contains("http://tb-token-broker.ml-apps.svc:8080/tokens/<service>");
		assertThat(tls).doesNotContain("plaintext")
			.contains("https://tb-token-broker.ml-apps.svc:8080/tokens/<service>");
		assertThat(plaintext).contains("audience \"" + DEFAULT_AUDIENCE + "\"");
	}

	private String notes(Map<String, Object> sets) {
		var install = new Helm(TokenBrokerChart.CHART).install()
			.clientOnly()
			.dryRun()
			.withName(TokenBrokerChart.RELEASE)
			.withNamespace(TokenBrokerChart.NAMESPACE)
			.withKubeVersion(TokenBrokerChart.KUBE_VERSION)
			.withValuesFile(TokenBrokerChart.valuesFile(SCENARIO));
		sets.forEach(install::set);
		return install.call().getOutput();
	}

	@Test
	void theSidecarsCallerTokenDefaultsToThePerReleaseAudienceAndTheIssuerAcceptsIt() {
		Manifests manifests = TokenBrokerChart.renderAppChart(this.workDir);
		JsonNode caller = Manifests.named(manifests.one("Deployment").at("/spec/template/spec/volumes"),
				"token-broker-caller");

		assertThat(caller.at("/projected/sources/0/serviceAccountToken/audience").asString())
			.isEqualTo(DEFAULT_AUDIENCE);
		assertThat(manifests.applicationConfig().at("/broker/access/issuers/0/audiences"))
			.isEqualTo(json("[\"" + DEFAULT_AUDIENCE + "\"]"));
	}

	@Test
	void anExplicitCallerAudienceIsTheIssuersDefaultAndAnIssuerThatRefusesItStopsTheRendering() {
		JsonNode issuers = TokenBrokerChart
			.renderAppChart(this.workDir, Map.of("token-broker.sidecar.callerToken.audience", "scorer-broker"))
			.applicationConfig()
			.at("/broker/access/issuers");

		assertThat(issuers.at("/0/audiences")).isEqualTo(json("[\"scorer-broker\"]"));
		// Without a values file, --set replaces the list whole: one issuer that accepts
		// another audience only.
		Map<String, Object> refusing = Map.of("token-broker.config.access.issuers[0].issuer-uri", ISSUER,
				"token-broker.config.access.issuers[0].jwk-set-uri", ISSUER + "openid/v1/jwks",
				"token-broker.config.access.issuers[0].audiences[0]", "someone-else");
		assertThatException().isThrownBy(() -> TokenBrokerChart.renderAppChart(this.workDir, refusing))
			.withMessageContaining(DEFAULT_AUDIENCE)
			.withMessageContaining("config.access.issuers");
	}

	@Test
	void standaloneIssuersWithoutAudiencesAcceptThePerReleaseAudience() {
		// Over a values file, --set edits its list: a second issuer, without audiences.
		JsonNode issuers = TokenBrokerChart
			.render(SCENARIO,
					Map.of("config.access.issuers[1].issuer-uri", ISSUER.replace("0002", "0003"),
							"config.access.issuers[1].jwk-set-uri", ISSUER.replace("0002", "0003") + "openid/v1/jwks"))
			.applicationConfig()
			.at("/broker/access/issuers");

		assertThat(issuers.at("/0/audiences")).isEqualTo(json("[\"token-broker\"]"));
		assertThat(issuers.at("/1/audiences")).isEqualTo(json("[\"" + DEFAULT_AUDIENCE + "\"]"));
	}

	private static JsonNode json(String json) {
		return JsonMapper.shared().readTree(json);
	}

}
