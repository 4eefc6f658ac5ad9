package com.acme.tokenbroker.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import com.acme.tokenbroker.simulator.AuthMode;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.support.TokenRequestMetric;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client examples of docs/clients.md against the broker on the simulator: the Python
 * and shell ones run as processes, the Java one compiled from docs/clients and run with
 * eight threads asking at once. The examples read the wall clock: the broker's clock
 * starts an hour behind it, for the test that runs first, and the others move it to the
 * wall clock; each test asks for services no other test asks for. The broker's
 * {@code broker.token.requests} counter tells how often an example asked.
 */
@SimulatedWorkspaceTest(properties = "broker.tokens.retry-initial-backoff=1s", resetFaults = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientExamplesIntegrationTests {

	/**
	 * An hour behind the wall clock until a test moves it to the wall clock: tokens the
	 * broker fetches then are past their {@code refreshBy} for the examples, and still
	 * fresh for the broker. The broker's clock only moves forward (its own Entra token
	 * would not be valid yet after a step back).
	 */
	static final MutableClock CLOCK = new MutableClock(Instant.now().minus(Duration.ofHours(1)));

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final Path CLIENTS = Path.of("docs", "clients");

	static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(60);

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Autowired
	Http api;

	@TempDir
	Path temp;

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "python, spare-1", "shell, spare-3" })
	void anExampleAsksTheBrokerOnceAndReusesTheAnswerUntilRefreshBy(String example, String service) throws Exception {
		brokerClockAtWallClock();
		String caller = CallerTokens.app(SIMULATOR);

		Run run = run(callerTokenFile(caller), command(example, "--calls", "3", service));

		assertThat(run.exitCode()).as(run.stderr()).isZero();
		assertThat(requests(service)).as("asked the broker once").isEqualTo(1);
		assertThat(run.lines()).hasSize(3).allMatch((line) -> line.equals(run.lines().get(0)));
		String token = servedToken(service, caller);
		assertThat(run.lines().get(0)).startsWith(service + ": ").contains(token.length() + " chars, sha256:");
		assertThat(run.stdout() + run.stderr()).as("no token printed").doesNotContain(token).doesNotContain(caller);
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "python, spare-5", "shell, spare-7" })
	@Order(1)
	void anExampleAsksAgainOnceRefreshByHasPassed(String example, String service) throws Exception {
		assertThat(CLOCK.instant()).as("the broker's clock, still behind the wall clock")
			.isBefore(Instant.now().minus(Duration.ofMinutes(50)));
		String caller = CallerTokens.app(SIMULATOR);

		Run run = run(callerTokenFile(caller), command(example, "--calls", "3", service));

		assertThat(run.exitCode()).as(run.stderr()).isZero();
		assertThat(run.lines()).hasSize(3);
		assertThat(requests(service)).as("asked the broker at each call").isEqualTo(3);
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "python, spare-2", "shell, spare-4" })
	void onA503AnExampleWaitsTheBrokersRetryAfterThenAsksAgain(String example, String service) throws Exception {
		brokerClockAtWallClock();
		SIMULATOR.faults("eastus").set(Fault.down());
		Started started = start(callerTokenFile(CallerTokens.app(SIMULATOR)), command(example, service));

		await().atMost(Duration.ofSeconds(20)).until(() -> errors(service) >= 1);
		SIMULATOR.faults("eastus").clear();
		CLOCK.advance(Duration.ofMinutes(1));
		Run run = started.finish();

		assertThat(run.exitCode()).as(run.stderr()).isZero();
		Matcher waited = Pattern.compile("retrying in (\\d+) s as Retry-After asks").matcher(run.stderr());
		assertThat(waited.find()).as(run.stderr()).isTrue();
		long retryAfter = Long.parseLong(waited.group(1));
		assertThat(retryAfter).isPositive();
		assertThat(run.elapsed()).as("waited Retry-After").isGreaterThanOrEqualTo(Duration.ofSeconds(retryAfter));
		assertThat(requests(service)).as("one 503, then the token").isEqualTo(2);
		assertThat(run.lines()).singleElement().asString().startsWith(service + ": ");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "python, spare-6", "shell, spare-8" })
	void anExampleGivesUpWhenRetryAfterIsBeyondItsBound(String example, String service) throws Exception {
		brokerClockAtWallClock();
		SIMULATOR.faults("eastus").set(Fault.down());

		Run run = run(callerTokenFile(CallerTokens.app(SIMULATOR)), command(example, "--max-wait", "0", service));

		assertThat(run.exitCode()).isEqualTo(3);
		assertThat(run.stderr()).contains("503 from the broker").contains("beyond this caller's bound of 0 s");
		assertThat(requests(service)).isEqualTo(1);
	}

	@Test
	void aKeyModeServicesKeyIsAnsweredAndCachedLikeAToken() throws Exception {
		brokerClockAtWallClock();
		SIMULATOR.setAuthMode("ws-weu", "spare-11", AuthMode.KEY);
		String caller = CallerTokens.app(SIMULATOR);

		Run run = run(callerTokenFile(caller), command("python", "--calls", "2", "spare-11"));

		assertThat(run.exitCode()).as(run.stderr()).isZero();
		assertThat(requests("spare-11")).isEqualTo(1);
		String key = servedToken("spare-11", caller);
		assertThat(key).isEqualTo(SIMULATOR.keys("ws-weu", "spare-11").primaryKey());
		assertThat(run.lines()).hasSize(2).allMatch((line) -> line.startsWith("spare-11: key " + key.length()));
		assertThat(run.stdout() + run.stderr()).doesNotContain(key);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "python", "shell" })
	void anExampleFailsClearlyOnA401(String example) throws Exception {
		Run run = run(callerTokenFile("not-a-jwt"), command(example, "spare-9"));

		assertThat(run.exitCode()).isEqualTo(2);
		assertThat(run.stderr()).startsWith("error: spare-9: 401 from the broker");
		assertThat(run.stdout()).isEmpty();
	}

	@Test
	void theJavaExampleCompilesAndThreadsAskingTogetherShareOneFetch() throws Exception {
		brokerClockAtWallClock();
		String caller = CallerTokens.app(SIMULATOR);
		Path classes = compileJavaExample();

		Run run = run(callerTokenFile(caller),
				List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
						classes + File.pathSeparator + System.getProperty("java.class.path"), "TokenClient", "spare-10",
						"8"));

		assertThat(run.exitCode()).as(run.stderr()).isZero();
		assertThat(requests("spare-10")).as("one fetch for eight threads").isEqualTo(1);
		String token = servedToken("spare-10", caller);
		assertThat(run.lines()).hasSize(8).allMatch((line) -> line.equals(run.lines().get(0)));
		assertThat(run.lines().get(0)).startsWith("spare-10: aml_token " + token.length() + " chars, sha256:");
		assertThat(run.stdout() + run.stderr()).as("no token printed").doesNotContain(token).doesNotContain(caller);
	}

	/**
	 * Compiles docs/clients/TokenClient.java against the test classpath, so that the
	 * build fails when the example no longer compiles with the project's Spring version.
	 */
	private Path compileJavaExample() throws Exception {
		JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
		Path classes = Files.createDirectory(this.temp.resolve("classes"));
		DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
		try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null,
				StandardCharsets.UTF_8)) {
			boolean compiled = compiler
				.getTask(null, files, diagnostics,
						List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString(),
								"-proc:none"),
						null, files.getJavaFileObjects(CLIENTS.resolve("TokenClient.java")))
				.call();
			assertThat(compiled).as(diagnostics.getDiagnostics().toString()).isTrue();
		}
		return classes;
	}

	private static void brokerClockAtWallClock() {
		Instant now = Instant.now();
		if (CLOCK.instant().isBefore(now)) {
			CLOCK.set(now);
		}
	}

	private static List<String> command(String example, String... args) {
		List<String> command = new ArrayList<>();
		if (example.equals("python")) {
			command.addAll(List.of("python3", CLIENTS.resolve("token_client.py").toString()));
		}
		else {
			command.addAll(List.of("bash", CLIENTS.resolve("token-client.sh").toString()));
		}
		command.addAll(List.of(args));
		return command;
	}

	private Path callerTokenFile(String token) throws IOException {
		Path file = Files.createTempFile(this.temp, "caller", ".jwt");
		Files.writeString(file, token + "\n");
		return file;
	}

	private Started start(Path callerTokenFile, List<String> command) throws IOException {
		ProcessBuilder builder = new ProcessBuilder(command);
		Map<String, String> env = builder.environment();
		env.put("TOKEN_BROKER_URL", "http://127.0.0.1:" + this.port);
		env.put("TOKEN_BROKER_CALLER_TOKEN_FILE", callerTokenFile.toString());
		env.put("PYTHONDONTWRITEBYTECODE", "1");
		Path stdout = Files.createTempFile(this.temp, "stdout", ".txt");
		Path stderr = Files.createTempFile(this.temp, "stderr", ".txt");
		builder.redirectOutput(stdout.toFile());
		builder.redirectError(stderr.toFile());
		long started = System.nanoTime();
		return new Started(builder.start(), stdout, stderr, started);
	}

	private Run run(Path callerTokenFile, List<String> command) throws Exception {
		return start(callerTokenFile, command).finish();
	}

	private long requests(String service) {
		return Math.round(TokenRequestMetric.count(this.meters, service, null));
	}

	private long errors(String service) {
		return Math.round(TokenRequestMetric.count(this.meters, service, "error"));
	}

	private String servedToken(String service, String caller) {
		return this.api.get("/tokens/" + service, caller).json().get("accessToken").stringValue();
	}

	record Started(Process process, Path stdout, Path stderr, long startedNanos) {

		Run finish() throws Exception {
			if (!this.process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
				throw new AssertionError("the example did not end within " + PROCESS_TIMEOUT);
			}
			return new Run(this.process.exitValue(), Files.readString(this.stdout), Files.readString(this.stderr),
					Duration.ofNanos(System.nanoTime() - this.startedNanos));
		}

	}

	record Run(int exitCode, String stdout, String stderr, Duration elapsed) {

		List<String> lines() {
			return this.stdout.lines().toList();
		}

	}

}
