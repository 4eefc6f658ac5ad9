package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.token.TokenProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The probe and scrape paths in the chart's manifests are endpoints the broker really
 * serves on its management port. The broker runs here on the embedded simulator with the
 * chart's rendered {@code application.yml} (sidecar, workload identity) layered over the
 * root one, as in the container; only the ports are random.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		// The chart's rendered config on the simulator on purpose; the per-release caller
		// audience the chart gives the app's projected token (issue 11, item 8)
		properties = { "management.server.port=0", "broker.simulator.allow-real-settings=true",
				"broker.simulator.cluster-audience=" + ProbeEndpointsIntegrationTests.CALLER_AUDIENCE },
		args = "--spring.config.additional-location=file:" + ProbeEndpointsIntegrationTests.CONFIG)
@ActiveProfiles("simulator")
@DirtiesContext
class ProbeEndpointsIntegrationTests {

	static final String CONFIG = "target/deploy/probe-endpoints/application.yml";

	static final String CALLER_AUDIENCE = "token-broker." + TokenBrokerChart.NAMESPACE + "." + TokenBrokerChart.RELEASE;

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	int apiPort;

	@LocalManagementPort
	int managementPort;

	@Autowired
	Environment environment;

	@Autowired
	TokenProperties tokens;

	@Autowired
	SimulatedWorkspace simulator;

	/**
	 * Runs before the application context starts: it reads this file. The simulator
	 * replaces the chart's one issuer with its two (Entra, then the cluster), so the
	 * chart's rules are bound to the simulated cluster's issuer, as they would name the
	 * real cluster's when more than one issuer is trusted (issue 11, item 4).
	 */
	@BeforeAll
	@SuppressWarnings("unchecked")
	static void renderTheSidecarsConfiguration() {
		org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml();
		Map<String, Object> config = yaml.load(TokenBrokerChart.render("sidecar-workload-identity").applicationYaml());
		Map<String, Object> access = (Map<String, Object>) ((Map<String, Object>) config.get("broker")).get("access");
		for (Map<String, Object> rule : (List<Map<String, Object>>) access.get("rules")) {
			rule.put("issuer", "${broker.access.issuers[1].issuer-uri}");
		}
		TokenBrokerChart.write(Path.of(CONFIG), yaml.dump(config));
	}

	/** Readiness (and the metrics the tests look for) wait for the warm-up's tokens. */
	@BeforeEach
	void awaitTheWarmUp() {
		await().atMost(Duration.ofSeconds(60))
			.until(() -> get(this.managementPort, "/actuator/health/readiness").statusCode() == 200);
	}

	/**
	 * Every container spec the chart can produce: standalone Deployments, node mode's
	 * DaemonSets and the sidecar in the example app chart.
	 */
	static List<JsonNode> brokerContainers(Path workDir) {
		List<JsonNode> containers = new ArrayList<>();
		List<String> scenarios = new ArrayList<>(HelmChartTests.STANDALONE_SCENARIOS);
		scenarios.addAll(HelmChartTests.NODE_SCENARIOS);
		for (String scenario : scenarios) {
			JsonNode pod = HelmChartTests.workload(TokenBrokerChart.render(scenario)).at("/spec/template/spec");
			containers.add(Manifests.container(pod, "containers", "token-broker"));
		}
		JsonNode pod = TokenBrokerChart.renderAppChart(workDir).one("Deployment").at("/spec/template/spec");
		containers.add(Manifests.container(pod, "initContainers", "token-broker"));
		return containers;
	}

	@Test
	void everyProbeInTheManifestsAnswers200OnThePortItNames(@TempDir Path workDir) {
		JsonNode config = TokenBrokerChart.render("sidecar-workload-identity").applicationConfig();
		Set<String> probed = new LinkedHashSet<>();
		for (JsonNode container : brokerContainers(workDir)) {
			for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
				JsonNode httpGet = container.at("/" + probe + "/httpGet");
				String path = httpGet.path("path").asString();
				int port = runningPort(config, containerPort(container, httpGet.path("port")));

				assertThat(get(port, path).statusCode())
					.as("%s %s on the container port %s", probe, path, httpGet.path("port"))
					.isEqualTo(200);
				probed.add(path + " on " + ((port == this.managementPort) ? "management" : "api"));
			}
		}

		assertThat(probed).containsExactlyInAnyOrder("/actuator/health/liveness on management",
				"/actuator/health/readiness on management");
		assertThat(get(this.apiPort, "/actuator/health/liveness").statusCode()).isNotEqualTo(200);
	}

	/** The container port a probe's port (a name or a number) stands for. */
	private static int containerPort(JsonNode container, JsonNode port) {
		return port.isNumber() ? port.asInt()
				: Manifests.named(container.path("ports"), port.asString()).path("containerPort").asInt();
	}

	/**
	 * Where the broker running here serves what the container serves on a port of the
	 * rendered configuration.
	 */
	private int runningPort(JsonNode config, int containerPort) {
		if (containerPort == config.at("/management/server/port").asInt()) {
			return this.managementPort;
		}
		if (containerPort == config.at("/server/port").asInt()) {
			return this.apiPort;
		}
		throw new AssertionError(
				"Port " + containerPort + " is neither server.port nor management.server.port in " + config);
	}

	@Test
	void theManagementPortOfTheManifestsIsTheOneTheRenderedConfigurationSets(@TempDir Path workDir) {
		JsonNode config = TokenBrokerChart.render("sidecar-workload-identity").applicationConfig();

		for (JsonNode container : brokerContainers(workDir)) {
			Manifests.assertPortsAreTheConfiguredOnes(container, config);
		}
	}

	@Test
	void theScrapePathsOfTheManifestsServePrometheusMetrics() {
		Manifests standalone = TokenBrokerChart.render("standalone-everything-on");
		Manifests sidecar = TokenBrokerChart.render("sidecar-workload-identity");
		Set<String> paths = new LinkedHashSet<>();
		paths
			.add(standalone.one("Deployment").at("/spec/template/metadata/annotations/prometheus.io~1path").asString());
		paths.add(standalone.one("ServiceMonitor").at("/spec/endpoints/0/path").asString());
		paths.add(sidecar.one("PodMonitor").at("/spec/podMetricsEndpoints/0/path").asString());

		assertThat(paths).containsExactly("/actuator/prometheus");
		HttpResponse<String> scrape = get(this.managementPort, paths.iterator().next());
		assertThat(scrape.statusCode()).isEqualTo(200);
		assertThat(scrape.body()).contains("broker_token_runway_min_seconds");
	}

	@Test
	void anAppPresentingTheProjectedServiceAccountTokenOfTheSidecarTemplateGetsAToken(@TempDir Path workDir) {
		Manifests app = TokenBrokerChart.renderAppChart(workDir);
		JsonNode projected = Manifests
			.named(app.one("Deployment").at("/spec/template/spec/volumes"), "token-broker-caller")
			.at("/projected/sources/0/serviceAccountToken");
		String serviceAccount = app.one("Deployment").at("/spec/template/spec/serviceAccountName").asString();
		// What the kubelet would write into the app container: a token of the cluster's
		// issuer for the pod's account.
		String caller = this.simulator.mintServiceAccountToken(TokenBrokerChart.NAMESPACE, serviceAccount,
				projected.path("audience").asString(),
				Duration.ofSeconds(projected.path("expirationSeconds").asLong()));

		HttpResponse<String> token = get(this.apiPort, "/tokens/fraud-scoring", caller);
		HttpResponse<String> notGranted = get(this.apiPort, "/tokens/recommender", caller);

		assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
		assertThat(JsonMapper.shared().readTree(token.body()).path("accessToken").asString()).isNotEmpty();
		assertThat(notGranted.statusCode()).isEqualTo(403);
	}

	@Test
	void theDashboardQueriesOnlyMetricsTheBrokerExports() {
		String caller = this.simulator.mintServiceAccountToken(TokenBrokerChart.NAMESPACE, "scorer", CALLER_AUDIENCE,
				Duration.ofMinutes(10));
		assertThat(get(this.apiPort, "/tokens/fraud-scoring", caller).statusCode()).isEqualTo(200);
		JsonNode dashboard = JsonMapper.shared()
			.readTree(TokenBrokerChart.render("standalone-everything-on")
				.all("ConfigMap")
				.stream()
				.filter((configMap) -> configMap.at("/data/token-broker.json").isString())
				.findFirst()
				.orElseThrow()
				.at("/data/token-broker.json")
				.asString());
		Set<String> queried = new LinkedHashSet<>();
		Matcher metric = Pattern.compile("\\b((?:broker|resilience4j)_[a-z_]+)\\b").matcher(dashboard.toString());
		while (metric.find()) {
			queried.add(metric.group(1));
		}

		String scrape = get(this.managementPort, "/actuator/prometheus").body();
		assertThat(queried).contains("broker_token_expiry_seconds", "broker_token_runway_min_seconds",
				"broker_token_requests_total", "broker_upstream_calls_seconds_count",
				"resilience4j_circuitbreaker_state");
		for (String name : queried) {
			assertThat(scrape).as(name).containsPattern("(?m)^" + name + "[{ ]");
		}
	}

	@Test
	void theRenderedConfigurationWinsOverTheImagesApplicationYml() {
		assertThat(this.tokens.minRunway()).hasMinutes(15);
		assertThat(this.environment.getProperty("server.address")).isEqualTo("127.0.0.1");
		assertThat(this.environment.getProperty("management.server.address")).isEqualTo("0.0.0.0");
	}

	private static HttpResponse<String> get(int port, String path) {
		return get(port, path, null);
	}

	private static HttpResponse<String> get(int port, String path, String bearer) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(Duration.ofSeconds(20));
		if (bearer != null) {
			request.header("Authorization", "Bearer " + bearer);
		}
		return send(request.build());
	}

	private static HttpResponse<String> send(HttpRequest request) {
		try {
			return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
