package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sidecar as users add it: {@code src/test/resources/deploy/app-chart}, an
 * application chart that depends on token-broker and includes its named templates
 * ({@code templates/_sidecar.tpl}) in its own Deployment.
 */
class SidecarTemplateTests {

	static Manifests manifests;

	static JsonNode pod;

	static JsonNode sidecar;

	static JsonNode app;

	@BeforeAll
	static void render(@TempDir Path workDir) {
		manifests = TokenBrokerChart.renderAppChart(workDir);
		pod = manifests.one("Deployment").at("/spec/template");
		sidecar = Manifests.container(pod.path("spec"), "initContainers", "token-broker");
		app = Manifests.container(pod.path("spec"), "containers", "scorer");
	}

	@Test
	void theBrokerIsANativeSidecarThatGatesTheAppOnReadiness() {
		assertThat(pod.at("/spec/initContainers").size()).isEqualTo(1);
		assertThat(sidecar.path("restartPolicy").asString()).isEqualTo("Always");
		assertThat(sidecar.at("/startupProbe/httpGet/path").asString()).isEqualTo("/actuator/health/readiness");
		for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
			assertThat(sidecar.at("/" + probe + "/httpGet/port").asString()).as(probe).isEqualTo("broker-mgmt");
		}
		// Five minutes for the JVM to start and the first tokens to arrive before the
		// kubelet restarts the broker.
		assertThat(sidecar.at("/startupProbe/periodSeconds").asInt()
				* sidecar.at("/startupProbe/failureThreshold").asInt())
			.isEqualTo(300);
		assertThat(sidecar.at("/livenessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
		assertThat(sidecar.at("/readinessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/readiness");
	}

	@Test
	void theSidecarsApiIsOnLoopbackAndItsManagementPortIsNamed() {
		JsonNode config = manifests.applicationConfig();

		assertThat(config.at("/server/address").asString()).isEqualTo("127.0.0.1");
		Manifests.assertPortsAreTheConfiguredOnes(sidecar, config);
	}

	@Test
	void theSidecarIsHardenedOnItsOwnWhateverThePodSays() {
		JsonNode security = sidecar.path("securityContext");

		assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
		assertThat(security.path("runAsUser").asInt()).isEqualTo(10001);
		assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
		assertThat(security.path("allowPrivilegeEscalation").asBoolean()).isFalse();
		assertThat(security.at("/capabilities/drop/0").asString()).isEqualTo("ALL");
		assertThat(security.at("/seccompProfile/type").asString()).isEqualTo("RuntimeDefault");
		assertThat(Manifests.named(sidecar.path("volumeMounts"), "token-broker-tmp").path("mountPath").asString())
			.isEqualTo("/tmp");
	}

	@Test
	void theSidecarsVolumesComeWithItAndPointAtTheSubchartsConfigMap() {
		JsonNode volumes = pod.at("/spec/volumes");

		assertThat(Manifests.named(volumes, "token-broker-config").at("/configMap/name").asString())
			.isEqualTo(manifests.one("ConfigMap").at("/metadata/name").asString());
		assertThat(Manifests.named(volumes, "token-broker-tmp").has("emptyDir")).isTrue();
		for (JsonNode mount : sidecar.path("volumeMounts")) {
			Manifests.named(volumes, mount.path("name").asString());
		}
	}

	@Test
	void theAppContainerFindsTheBrokerAndPresentsAProjectedServiceAccountToken() {
		JsonNode volume = Manifests.named(pod.at("/spec/volumes"), "token-broker-caller");
		JsonNode mount = Manifests.named(app.path("volumeMounts"), "token-broker-caller");

		assertThat(Manifests.named(app.path("env"), "TOKEN_BROKER_URL").path("value").asString())
			.isEqualTo("http://127.0.0.1:8080");
		// Issue 11, item 8: one audience per release (the example's issuer lists none, so
		// the chart fills it in).
		assertThat(volume.at("/projected/sources/0/serviceAccountToken/audience").asString())
			.isEqualTo("token-broker.ml-apps.tb");
		assertThat(manifests.applicationConfig().at("/broker/access/issuers/0/audiences/0").asString())
			.isEqualTo("token-broker.ml-apps.tb");
		assertThat(Manifests.named(app.path("env"), "TOKEN_BROKER_CALLER_TOKEN_FILE").path("value").asString())
			.isEqualTo(mount.path("mountPath").asString() + "/"
					+ volume.at("/projected/sources/0/serviceAccountToken/path").asString());
	}

	@Test
	void thePodCarriesScrapingMetadataButNotWorkloadIdentitysWebhookLabel() {
		JsonNode labels = pod.at("/metadata/labels");
		JsonNode annotations = pod.at("/metadata/annotations");
		JsonNode serviceAccount = manifests.one("ServiceAccount");

		// Issue 11, item 1: the webhook would hand the broker's identity to every
		// container of the pod.
		assertThat(labels.has("azure.workload.identity/use")).isFalse();
		assertThat(labels.path("token-broker.acme.com/sidecar").asString()).isEqualTo("tb-token-broker");
		assertThat(annotations.path("prometheus.io/scrape").asString()).isEqualTo("true");
		assertThat(annotations.path("prometheus.io/port").asString()).isEqualTo("8081");
		assertThat(annotations.path("prometheus.io/path").asString()).isEqualTo("/actuator/prometheus");
		assertThat(annotations.path("checksum/token-broker-config").asString()).hasSize(64);
		assertThat(pod.at("/spec/serviceAccountName").asString()).isEqualTo("scorer")
			.isEqualTo(serviceAccount.at("/metadata/name").asString());
		assertThat(serviceAccount.at("/metadata/annotations/azure.workload.identity~1client-id").asString())
			.isEqualTo("0b5e3c1a-6f2d-4e8b-9a7c-1d2e3f4a5b6c");
	}

}
