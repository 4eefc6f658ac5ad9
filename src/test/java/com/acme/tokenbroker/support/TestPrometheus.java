package com.acme.tokenbroker.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Prometheus server of the test's own, as a child process on loopback: a temporary
 * configuration scraping one broker's management port every second, a temporary TSDB
 * directory, a free port. {@link #close()} stops it and deletes the directory. The binary
 * is {@code TOKEN_BROKER_TEST_PROMETHEUS} or {@code prometheus} on the {@code PATH}
 * (Debian's {@code prometheus} package, which {@code .ci/run} installs); see
 * {@link RequiresPrometheus}.
 */
public final class TestPrometheus implements AutoCloseable {

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

	private final Process process;

	private final Path directory;

	private final int port;

	/** Stops the server should the test JVM exit before {@link #close()}. */
	private final Thread cleanup;

	private TestPrometheus(Process process, Path directory, int port) {
		this.process = process;
		this.directory = directory;
		this.port = port;
		this.cleanup = new Thread(process::destroyForcibly, "test-prometheus-cleanup");
		Runtime.getRuntime().addShutdownHook(this.cleanup);
	}

	public static boolean required() {
		return "true".equalsIgnoreCase(System.getenv("TOKEN_BROKER_TEST_PROMETHEUS_REQUIRED"));
	}

	/**
	 * @return the Prometheus binary to run, or {@code null} where there is none
	 */
	static Path binary() {
		String configured = System.getenv("TOKEN_BROKER_TEST_PROMETHEUS");
		if (configured != null && !configured.isBlank()) {
			Path path = Path.of(configured.trim());
			return Files.isExecutable(path) ? path : null;
		}
		String searchPath = System.getenv("PATH");
		List<String> directories = new ArrayList<>(
				(searchPath != null) ? List.of(searchPath.split(File.pathSeparator)) : List.of());
		directories.add("/usr/bin");
		for (String directory : directories) {
			if (!directory.isEmpty()) {
				Path candidate = Path.of(directory, "prometheus");
				if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return candidate;
				}
			}
		}
		return null;
	}

	/**
	 * @return why no Prometheus server can be started, or {@code null} when a binary is
	 * there
	 */
	static String unusableBecause() {
		return (binary() != null) ? null : "no prometheus binary on the PATH or at TOKEN_BROKER_TEST_PROMETHEUS="
				+ System.getenv("TOKEN_BROKER_TEST_PROMETHEUS");
	}

	/**
	 * Start a server that scrapes {@code http://127.0.0.1:<port>/actuator/prometheus}
	 * every second, and wait until its first scrape of the target succeeded.
	 * @param managementPort the broker's management port
	 * @param targetLabels labels the scrape adds to every series, as Kubernetes service
	 * discovery adds {@code namespace} and {@code pod}
	 * @return the started server
	 * @throws IOException if it cannot be started
	 */
	public static TestPrometheus scraping(int managementPort, Map<String, String> targetLabels) throws IOException {
		Path binary = binary();
		if (binary == null) {
			throw new IllegalStateException(unusableBecause());
		}
		Path directory = Files.createTempDirectory("token-broker-prometheus");
		StringBuilder labels = new StringBuilder();
		targetLabels.forEach(
				(name, value) -> labels.append("          ").append(name).append(": \"").append(value).append("\"\n"));
		Path config = directory.resolve("prometheus.yml");
		Files.writeString(config, """
				global:
				  scrape_interval: 1s
				  scrape_timeout: 1s
				  evaluation_interval: 1s
				scrape_configs:
				  - job_name: token-broker
				    metrics_path: /actuator/prometheus
				    static_configs:
				      - targets: ["127.0.0.1:%d"]
				        labels:
				%s""".formatted(managementPort, labels));
		int port = freePort();
		Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
				"--storage.tsdb.path=" + directory.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
			.redirectErrorStream(true)
			.redirectOutput(directory.resolve("prometheus.log").toFile())
			.start();
		TestPrometheus prometheus = new TestPrometheus(process, directory, port);
		try {
			prometheus.awaitTargetUp();
		}
		catch (RuntimeException | Error ex) {
			String log = prometheus.log();
			prometheus.close();
			throw new IllegalStateException("Prometheus did not scrape the broker: " + ex.getMessage() + "\n" + log,
					ex);
		}
		return prometheus;
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	private void awaitTargetUp() {
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		String last = "not answering";
		while (System.nanoTime() < deadline) {
			if (!this.process.isAlive()) {
				throw new IllegalStateException("Prometheus exited with " + this.process.exitValue());
			}
			try {
				JsonNode targets = get("/api/v1/targets?state=active").path("data").path("activeTargets");
				if (!targets.isEmpty()) {
					last = "target " + targets.get(0).path("health").asString() + ": "
							+ targets.get(0).path("lastError").asString();
					if ("up".equals(targets.get(0).path("health").asString())) {
						return;
					}
				}
			}
			catch (IllegalStateException ex) {
				last = ex.getMessage();
			}
			pause();
		}
		throw new IllegalStateException("no successful scrape within " + START_TIMEOUT + " (" + last + ")");
	}

	/**
	 * Evaluate a PromQL expression now ({@code /api/v1/query}).
	 * @param expression the query
	 * @return the answer: {@code status}, {@code data.result} or {@code error}
	 */
	public JsonNode query(String expression) {
		return get("/api/v1/query?query=" + URLEncoder.encode(expression, StandardCharsets.UTF_8));
	}

	/**
	 * The series matching a selector ({@code /api/v1/series}).
	 * @param selector a series selector
	 * @return the answer, {@code data} listing each series' labels
	 */
	public JsonNode series(String selector) {
		return get("/api/v1/series?match[]=" + URLEncoder.encode(selector, StandardCharsets.UTF_8));
	}

	/**
	 * The server's version ({@code /api/v1/status/buildinfo}), for the test's messages.
	 * @return the version, e.g. {@code 2.42.0+ds}
	 */
	public String version() {
		return get("/api/v1/status/buildinfo").path("data").path("version").asString();
	}

	private JsonNode get(String path) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(10))
			.GET()
			.build();
		try {
			// 400 and 422 answer a bad query with a JSON error the caller reports
			return JsonMapper.shared().readTree(CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body());
		}
		catch (IOException ex) {
			throw new IllegalStateException("Prometheus at port " + this.port + ": " + ex, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException("Prometheus at port " + this.port + " answered no JSON: " + ex, ex);
		}
	}

	/** A poll interval: Prometheus works in wall time, the broker's clock is virtual. */
	public static void pause() {
		try {
			Thread.sleep(200);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private String log() {
		try {
			String log = Files.readString(this.directory.resolve("prometheus.log"));
			return log.substring(Math.max(0, log.length() - 4000));
		}
		catch (IOException ex) {
			return "(no log: " + ex + ")";
		}
	}

	@Override
	public void close() throws IOException {
		try {
			Runtime.getRuntime().removeShutdownHook(this.cleanup);
		}
		catch (IllegalStateException ex) {
			// the JVM is already shutting down: the hook stops the server
		}
		this.process.destroy();
		try {
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		try (Stream<Path> paths = Files.walk(this.directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
	}

}
