package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 15, item 9: a broker behind a Service keeps serving while it leaves the Service's
 * endpoints (a preStop sleep), then gives the requests in flight up to
 * {@code shutdown.timeoutSeconds}, all within the pod's grace period. A sidecar has no
 * preStop: as a native sidecar it is stopped after the app containers.
 */
class GracefulShutdownChartTests {

	static final List<String> BEHIND_A_SERVICE = List.of("standalone-workload-identity", "node-workload-identity");

	@TempDir
	Path workDir;

	@Test
	void behindAServiceThePreStopHookSleepsWithKubernetesOwnSleepActionFrom130() {
		for (String scenario : BEHIND_A_SERVICE) {
			JsonNode pod = HelmChartTests.workload(TokenBrokerChart.render(scenario, Map.of(), "1.30.0"))
				.at("/spec/template/spec");
			JsonNode preStop = Manifests.container(pod, "containers", "token-broker").at("/lifecycle/preStop");

			assertThat(preStop.at("/sleep/seconds").asInt()).as(scenario).isEqualTo(5);
			assertThat(preStop.has("exec")).as(scenario).isFalse();
		}
	}

	@Test
	void onKubernetes129ThePreStopHookRunsTheImagesSleep() {
		for (String scenario : BEHIND_A_SERVICE) {
			JsonNode pod = HelmChartTests.workload(TokenBrokerChart.render(scenario)).at("/spec/template/spec");
			JsonNode preStop = Manifests.container(pod, "containers", "token-broker").at("/lifecycle/preStop");

			assertThat(preStop.at("/exec/command").toString()).as(scenario).isEqualTo("[\"sleep\",\"5\"]");
			assertThat(preStop.has("sleep")).as(scenario).isFalse();
		}
	}

	@Test
	void thePreStopSleepAndTheShutdownTimeoutFitInTheGracePeriod() {
		for (String scenario : BEHIND_A_SERVICE) {
			Manifests manifests = TokenBrokerChart.render(scenario);
			JsonNode pod = HelmChartTests.workload(manifests).at("/spec/template/spec");

			assertThat(manifests.applicationConfig().at("/spring/lifecycle/timeout-per-shutdown-phase").asString())
				.as(scenario)
				.isEqualTo("20s");
			assertThat(5 + 20).as(scenario).isLessThan(pod.path("terminationGracePeriodSeconds").asInt());
		}
	}

	@Test
	void aPreStopSleepAndTimeoutBeyondTheGracePeriodAreRefused() {
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity",
					Map.of("shutdown.preStopSleepSeconds", 10, "shutdown.timeoutSeconds", 25)))
			.withMessageContaining("shutdown.preStopSleepSeconds (10) + shutdown.timeoutSeconds (25)")
			.withMessageContaining("standalone.terminationGracePeriodSeconds (30)");
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render("node-workload-identity",
					Map.of("node.terminationGracePeriodSeconds", 20)))
			.withMessageContaining("node.terminationGracePeriodSeconds (20)");
		JsonNode pod = HelmChartTests
			.workload(TokenBrokerChart.render("standalone-workload-identity", Map.of("shutdown.preStopSleepSeconds", 10,
					"shutdown.timeoutSeconds", 25, "standalone.terminationGracePeriodSeconds", 40)))
			.at("/spec/template/spec");
		assertThat(pod.path("terminationGracePeriodSeconds").asInt()).isEqualTo(40);
	}

	@Test
	void withoutAPreStopSleepThereIsNoHook() {
		JsonNode pod = HelmChartTests
			.workload(
					TokenBrokerChart.render("standalone-workload-identity", Map.of("shutdown.preStopSleepSeconds", 0)))
			.at("/spec/template/spec");

		assertThat(Manifests.container(pod, "containers", "token-broker").has("lifecycle")).isFalse();
	}

	@Test
	void theSidecarHasNoPreStopHookAndStopsWithTheShutdownTimeout() {
		Manifests manifests = TokenBrokerChart.renderAppChart(this.workDir);
		JsonNode pod = manifests.one("Deployment").at("/spec/template/spec");

		assertThat(Manifests.container(pod, "initContainers", "token-broker").has("lifecycle")).isFalse();
		assertThat(manifests.applicationConfig().at("/spring/lifecycle/timeout-per-shutdown-phase").asString())
			.isEqualTo("20s");
	}

}
