package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 11, item 1: in sidecar mode the broker's Azure identity reaches the broker's
 * container and no other. The example app chart
 * ({@code src/test/resources/deploy/app-chart}) is rendered with a second app container,
 * for each identity mode, and every container but the broker is checked for the federated
 * token, the identity Secret and any {@code AZURE_*} variable; the pod must not carry
 * workload identity's webhook label unless the operator opts in, and then its
 * {@code skip-containers} annotation names every other container.
 */
class SidecarIdentityIsolationTests {

	static final String BROKER = "token-broker";

	static final String FEDERATED_AUDIENCE = "api://AzureADTokenExchange";

	static final String TENANT = "72f988bf-0000-4000-8000-000000000001";

	static final String CLIENT = "0b5e3c1a-6f2d-4e8b-9a7c-1d2e3f4a5b6c";

	/** A second app container, so that "every other container" means more than one. */
	static final Map<String, Object> SECOND_APP_CONTAINER = Map.of("extraContainers[0].name", "log-shipper",
			"extraContainers[0].image", "ghcr.io/acme/log-shipper:1.0.0");

	@TempDir
	static Path workDir;

	static Manifests render(Map<String, Object> sets) {
		Map<String, Object> values = new LinkedHashMap<>(SECOND_APP_CONTAINER);
		values.putAll(sets);
		try {
			return TokenBrokerChart.renderAppChart(Files.createTempDirectory(workDir, "app"), values);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static Stream<Arguments> identityModes() {
		return Stream.of(Arguments.of("workload-identity", Map.of()),
				Arguments.of("client-secret",
						Map.of("token-broker.identity.mode", "client-secret",
								"token-broker.identity.clientSecret.existingSecret", "token-broker-sp")),
				Arguments.of("client-certificate",
						Map.of("token-broker.identity.mode", "client-certificate",
								"token-broker.identity.clientCertificate.existingSecret", "token-broker-cert",
								"token-broker.identity.clientCertificate.passwordKey", "password")),
				Arguments.of("managed-identity, allowed", Map.of("token-broker.identity.mode", "managed-identity",
						"token-broker.identity.allowNodeIdentity", true)));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("identityModes")
	void noContainerButTheBrokerReceivesTheBrokersIdentity(String mode, Map<String, Object> sets) {
		Manifests manifests = render(sets);
		JsonNode pod = manifests.one("Deployment").at("/spec/template");
		JsonNode spec = pod.path("spec");
		JsonNode broker = Manifests.container(spec, "initContainers", BROKER);
		List<String> identityVolumes = identityVolumes(spec);

		if (!mode.startsWith("managed-identity")) {
			assertThat(identityVolumes).as("the identity's volumes").isNotEmpty();
			assertThat(mountedVolumes(broker)).containsAll(identityVolumes);
		}
		for (JsonNode other : otherContainers(spec)) {
			String name = other.path("name").asString();
			if (!identityVolumes.isEmpty()) {
				assertThat(mountedVolumes(other)).as(name + "'s volumes").doesNotContainAnyElementsOf(identityVolumes);
			}
			assertThat(envNames(other)).as(name + "'s environment").noneMatch((env) -> env.startsWith("AZURE_"));
			assertThat(other.path("env").toString()).as(name + "'s environment").doesNotContain("secretKeyRef");
			assertThat(other.has("envFrom")).as(name + "'s envFrom").isFalse();
		}
		assertThat(pod.at("/metadata/labels").has("azure.workload.identity/use")).isFalse();
		assertThat(pod.at("/metadata/annotations").has("azure.workload.identity/skip-containers")).isFalse();
	}

	@Test
	void workloadIdentityIsAFederatedTokenProjectedForTheBrokerAlone() {
		Manifests manifests = render(Map.of());
		JsonNode spec = manifests.one("Deployment").at("/spec/template/spec");
		JsonNode broker = Manifests.container(spec, "initContainers", BROKER);
		JsonNode identity = manifests.applicationConfig().at("/broker/identity");

		JsonNode volume = federatedTokenVolume(spec);
		JsonNode source = volume.at("/projected/sources/0/serviceAccountToken");
		JsonNode mount = Manifests.named(broker.path("volumeMounts"), volume.path("name").asString());
		assertThat(source.path("expirationSeconds").asInt()).isEqualTo(3600);
		assertThat(mount.path("readOnly").asBoolean()).isTrue();
		assertThat(identity.path("mode").asString()).isEqualTo("workload-identity");
		assertThat(identity.path("token-file").asString())
			.isEqualTo(mount.path("mountPath").asString() + "/" + source.path("path").asString());
		assertThat(identity.path("tenant-id").asString()).isEqualTo(TENANT);
		assertThat(identity.path("client-id").asString()).isEqualTo(CLIENT);
		assertThat(spec.path("serviceAccountName").asString()).isEqualTo("scorer");
	}

	@Test
	void theFederatedTokensLifetimeIsConfigurableDownToTenMinutes() {
		JsonNode spec = render(Map.of("token-broker.identity.workloadIdentity.tokenExpirationSeconds", 900))
			.one("Deployment")
			.at("/spec/template/spec");

		assertThat(federatedTokenVolume(spec).at("/projected/sources/0/serviceAccountToken/expirationSeconds").asInt())
			.isEqualTo(900);
		assertThatException()
			.isThrownBy(() -> render(Map.of("token-broker.identity.workloadIdentity.tokenExpirationSeconds", 599)))
			.withMessageContaining("tokenExpirationSeconds");
	}

	@Test
	void workloadIdentityInASidecarNeedsTheTenantAndClientIds() {
		assertThatException().isThrownBy(() -> render(Map.of("token-broker.identity.tenantId", "")))
			.withMessageContaining("identity.tenantId");
		assertThatException().isThrownBy(() -> render(Map.of("token-broker.identity.clientId", "")))
			.withMessageContaining("identity.clientId");
	}

	@Test
	void managedIdentityInASidecarIsRefusedUnlessTheNodeIdentityIsAllowed() {
		assertThatException().isThrownBy(() -> render(Map.of("token-broker.identity.mode", "managed-identity")))
			.withMessageContaining("identity.allowNodeIdentity");

		Manifests allowed = render(Map.of("token-broker.identity.mode", "managed-identity",
				"token-broker.identity.allowNodeIdentity", true));

		assertThat(allowed.applicationConfig().at("/broker/identity/mode").asString()).isEqualTo("managed-identity");
	}

	@Test
	void withTheWebhookOptInTheWebhookSkipsEveryOtherContainer() {
		Manifests manifests = render(Map.of("token-broker.identity.workloadIdentity.useWebhook", true,
				"token-broker.identity.workloadIdentity.appContainers[0]", "scorer",
				"token-broker.identity.workloadIdentity.appContainers[1]", "log-shipper"));
		JsonNode pod = manifests.one("Deployment").at("/spec/template");

		assertThat(pod.at("/metadata/labels/azure.workload.identity~1use").asString()).isEqualTo("true");
		String skipped = pod.at("/metadata/annotations/azure.workload.identity~1skip-containers").asString();
		assertThat(Arrays.asList(skipped.split(";")))
			.containsExactlyInAnyOrderElementsOf(otherContainers(pod.path("spec")).stream()
				.map((container) -> container.path("name").asString())
				.toList());
		// The broker still reads the chart's own projection, so a container the webhook
		// reaches by mistake is no way in.
		assertThat(manifests.applicationConfig().at("/broker/identity/token-file").asString()).isNotEmpty();
	}

	@Test
	void theWebhookOptInInASidecarNeedsTheAppsContainers() {
		assertThatException()
			.isThrownBy(() -> render(Map.of("token-broker.identity.workloadIdentity.useWebhook", true)))
			.withMessageContaining("identity.workloadIdentity.appContainers");
		assertThatException()
			.isThrownBy(() -> render(Map.of("token-broker.identity.workloadIdentity.useWebhook", true,
					"token-broker.identity.workloadIdentity.appContainers[0]", BROKER)))
			.withMessageContaining("appContainers");
	}

	@Test
	void theChartsOwnSidecarRenderingNamesTheFederatedTokenFileAndTheIds() {
		Manifests manifests = TokenBrokerChart.render("sidecar-workload-identity");
		JsonNode identity = manifests.applicationConfig().at("/broker/identity");

		assertThat(manifests.podSpecs()).isEmpty();
		assertThat(identity.path("mode").asString()).isEqualTo("workload-identity");
		assertThat(identity.path("token-file").asString()).startsWith("/var/run/secrets/token-broker/");
		assertThat(identity.path("tenant-id").asString()).isEqualTo(TENANT);
		assertThat(identity.path("client-id").asString()).isEqualTo(CLIENT);
		assertThat(manifests.yaml()).doesNotContain("azure.workload.identity/use");
	}

	@Test
	void additionalIdentitiesAreFederatedToTheSameServiceAccountAndReadTheSameTokenFile() {
		String other = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
		Manifests manifests = render(Map.of("token-broker.identity.additional.scoring.clientId", other,
				"token-broker.identity.additional.partner.clientId", CLIENT.replace('0', '1'),
				"token-broker.identity.additional.partner.tenantId", "11111111-0000-4000-8000-000000000009",
				"token-broker.config.services.fraud-scoring.identity", "scoring"));
		JsonNode config = manifests.applicationConfig();
		String tokenFile = config.at("/broker/identity/token-file").asString();

		JsonNode scoring = config.at("/broker/identities/scoring");
		assertThat(scoring.path("mode").asString()).isEqualTo("workload-identity");
		assertThat(scoring.path("client-id").asString()).isEqualTo(other);
		assertThat(scoring.path("tenant-id").asString()).isEqualTo(TENANT);
		assertThat(scoring.path("token-file").asString()).isEqualTo(tokenFile);
		assertThat(scoring.propertyNames()).containsExactlyInAnyOrder("mode", "client-id", "tenant-id", "token-file");
		assertThat(config.at("/broker/identities/partner/tenant-id").asString())
			.isEqualTo("11111111-0000-4000-8000-000000000009");
		assertThat(config.at("/broker/services/fraud-scoring/identity").asString()).isEqualTo("scoring");
		// and the broker binds them as broker.identities.<alias>, the service naming one
		org.springframework.boot.context.properties.bind.Binder binder = RenderedConfigurationBindingTests
			.binder(manifests.applicationYaml());
		com.acme.tokenbroker.principal.IdentityProperties bound = RenderedConfigurationBindingTests
			.bind(binder, "broker", com.acme.tokenbroker.principal.IdentitiesProperties.class)
			.identities()
			.get("scoring");
		assertThat(bound.mode()).isEqualTo(com.acme.tokenbroker.principal.IdentityProperties.Mode.WORKLOAD_IDENTITY);
		assertThat(bound.clientId()).isEqualTo(other);
		assertThat(bound.tokenFile()).hasToString(tokenFile);
		assertThat(new com.acme.tokenbroker.catalog.ServiceCatalog(RenderedConfigurationBindingTests.bind(binder,
				"broker", com.acme.tokenbroker.catalog.CatalogProperties.class))
			.find(com.acme.tokenbroker.catalog.ServiceName.of("fraud-scoring"))
			.orElseThrow()
			.identity()).isEqualTo("scoring");
		assertThatException()
			.isThrownBy(() -> render(Map.of("token-broker.config.services.fraud-scoring.identity", "nowhere")))
			.withMessageContaining("nowhere");
		assertThatException()
			.isThrownBy(() -> render(Map.of("token-broker.identity.mode", "client-secret",
					"token-broker.identity.clientSecret.existingSecret", "token-broker-sp",
					"token-broker.identity.additional.scoring.clientId", other)))
			.withMessageContaining("identity.additional");
	}

	/**
	 * Volumes holding the broker's credential: the federated token projection and
	 * Secrets.
	 */
	static List<String> identityVolumes(JsonNode spec) {
		List<String> names = new ArrayList<>();
		for (JsonNode volume : spec.path("volumes")) {
			boolean federated = volume.at("/projected/sources").toString().contains(FEDERATED_AUDIENCE);
			boolean secret = volume.has("secret") || volume.at("/projected/sources").toString().contains("\"secret\"");
			if (federated || secret) {
				names.add(volume.path("name").asString());
			}
		}
		return names;
	}

	static JsonNode federatedTokenVolume(JsonNode spec) {
		return StreamSupport.stream(spec.path("volumes").spliterator(), false)
			.filter((volume) -> FEDERATED_AUDIENCE
				.equals(volume.at("/projected/sources/0/serviceAccountToken/audience").asString()))
			.findFirst()
			.orElseThrow(() -> new AssertionError("No projected token for " + FEDERATED_AUDIENCE + " in " + spec));
	}

	static List<JsonNode> otherContainers(JsonNode spec) {
		List<JsonNode> others = new ArrayList<>();
		for (String section : List.of("initContainers", "containers")) {
			for (JsonNode container : spec.path(section)) {
				if (!BROKER.equals(container.path("name").asString())) {
					others.add(container);
				}
			}
		}
		assertThat(others).as("other containers").hasSizeGreaterThanOrEqualTo(2);
		return others;
	}

	static List<String> mountedVolumes(JsonNode container) {
		return StreamSupport.stream(container.path("volumeMounts").spliterator(), false)
			.map((mount) -> mount.path("name").asString())
			.toList();
	}

	static List<String> envNames(JsonNode container) {
		return StreamSupport.stream(container.path("env").spliterator(), false)
			.map((env) -> env.path("name").asString())
			.toList();
	}

}
