package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import org.springframework.util.FileSystemUtils;

/**
 * The chart under {@code helm/token-broker}, rendered ({@code helm template}) and linted
 * ({@code helm lint --strict}) in-process with helm-java, for the value sets under
 * {@code src/test/resources/deploy/values}.
 */
final class TokenBrokerChart {

	static final Path CHART = Path.of("helm/token-broker");

	static final Path VALUES = Path.of("src/test/resources/deploy/values");

	/**
	 * An application chart that runs the broker as its sidecar through the chart's named
	 * templates.
	 */
	static final Path APP_CHART = Path.of("src/test/resources/deploy/app-chart");

	static final String RELEASE = "tb";

	static final String NAMESPACE = "ml-apps";

	/**
	 * The oldest Kubernetes with native sidecars on by default (Chart.yaml's
	 * kubeVersion).
	 */
	static final String KUBE_VERSION = "1.29.0";

	/** The value sets, by file name without {@code .yaml}. */
	static final List<String> SCENARIOS = List.of("sidecar-workload-identity", "sidecar-client-secret",
			"standalone-workload-identity", "standalone-client-secret", "standalone-everything-on",
			"standalone-tls-existing-secret", "standalone-tls-cert-manager", "node-workload-identity",
			"node-everything-on");

	static {
		// helm-java runs Helm as a Go shared library in this JVM. Once its Go runtime
		// runs, the JVM no longer answers attach requests, so Mockito's inline mock maker
		// (initialized by Spring's test listeners in every @SpringBootTest) would wait
		// twice 10 s for a self-attach that fails. Attach the agent first: Mockito reuses
		// it.
		try {
			ByteBuddyAgent.install();
		}
		catch (IllegalStateException ex) {
			// No attach API in this JVM: Mockito cannot use it either.
		}
	}

	private TokenBrokerChart() {
	}

	static Path valuesFile(String scenario) {
		return VALUES.resolve(scenario + ".yaml");
	}

	/** Renders the chart with the chart's defaults only. */
	static Manifests renderDefaults() {
		return Manifests.parse(template(CHART).call());
	}

	static Manifests render(String scenario) {
		return render(scenario, Map.of());
	}

	/**
	 * Renders a value set, with {@code --set} overrides on top.
	 * @param scenario a value set of {@link #SCENARIOS}
	 * @param sets {@code --set} pairs
	 * @return the rendered objects
	 */
	static Manifests render(String scenario, Map<String, Object> sets) {
		return render(scenario, sets, KUBE_VERSION);
	}

	/**
	 * Renders a value set for a given Kubernetes version, with {@code --set} overrides on
	 * top.
	 * @param scenario a value set of {@link #SCENARIOS}
	 * @param sets {@code --set} pairs
	 * @param kubeVersion the cluster's version, as {@code helm template --kube-version}
	 * @return the rendered objects
	 */
	static Manifests render(String scenario, Map<String, Object> sets, String kubeVersion) {
		TemplateCommand command = template(CHART).withKubeVersion(kubeVersion).withValuesFile(valuesFile(scenario));
		sets.forEach(command::set);
		return Manifests.parse(command.call());
	}

	/**
	 * Renders the example application chart with this chart as its (unpacked) dependency.
	 */
	static Manifests renderAppChart(Path workDir) {
		return renderAppChart(workDir, Map.of());
	}

	/**
	 * Renders the example application chart with {@code --set} overrides on top of its
	 * values.
	 * @param workDir a scratch directory
	 * @param sets {@code --set} pairs, the broker's under {@code token-broker.}
	 * @return the rendered objects
	 */
	static Manifests renderAppChart(Path workDir, Map<String, Object> sets) {
		Path appChart = workDir.resolve("app-chart");
		copy(APP_CHART, appChart);
		copy(CHART, appChart.resolve("charts/token-broker"));
		TemplateCommand command = template(appChart);
		sets.forEach(command::set);
		return Manifests.parse(command.call());
	}

	private static TemplateCommand template(Path chart) {
		return new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
	}

	/**
	 * {@code helm lint --strict} with a value set. helm-java's lint takes no values file,
	 * so the chart is copied with the value set merged into its {@code values.yaml}, as
	 * {@code helm lint -f} would merge it.
	 * @param scenario a value set of {@link #SCENARIOS}, or {@code null} for the chart's
	 * defaults
	 * @param workDir a scratch directory
	 * @return the lint result
	 */
	static LintResult lint(String scenario, Path workDir) {
		Path chart = CHART;
		if (scenario != null) {
			chart = workDir.resolve("token-broker");
			copy(CHART, chart);
			Map<String, Object> values = merge(load(CHART.resolve("values.yaml")), load(valuesFile(scenario)));
			DumperOptions options = new DumperOptions();
			options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
			write(chart.resolve("values.yaml"), new Yaml(options).dump(values));
		}
		return new Helm(chart).lint().strict().call();
	}

	@SuppressWarnings("unchecked")
	static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> overrides) {
		Map<String, Object> merged = new LinkedHashMap<>(base);
		overrides.forEach((key, value) -> {
			if (value instanceof Map<?, ?> map && merged.get(key) instanceof Map<?, ?> existing) {
				merged.put(key, merge((Map<String, Object>) existing, (Map<String, Object>) map));
			}
			else {
				merged.put(key, value);
			}
		});
		return merged;
	}

	static Map<String, Object> load(Path yaml) {
		try {
			Map<String, Object> loaded = new Yaml(new SafeConstructor(new LoaderOptions()))
				.load(Files.readString(yaml, StandardCharsets.UTF_8));
			return (loaded != null) ? loaded : Map.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static void write(Path file, String content) {
		try {
			Files.createDirectories(file.getParent());
			Files.writeString(file, content, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static void copy(Path from, Path to) {
		try {
			FileSystemUtils.deleteRecursively(to);
			Files.createDirectories(to);
			try (Stream<Path> files = Files.walk(from)) {
				for (Path file : (Iterable<Path>) files::iterator) {
					Path target = to.resolve(from.relativize(file).toString());
					if (Files.isDirectory(file)) {
						Files.createDirectories(target);
					}
					else {
						Files.copy(file, target);
					}
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
