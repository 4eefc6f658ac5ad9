package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * The node scripts of {@code .ci/deploy-checks} (its {@code npm ci} runs in Maven's
 * {@code process-test-classes} phase, before the tests): offline schema validation of
 * manifests and the Dockerfile lint. Tests using them are skipped, not failed, under
 * {@code -Ddeploy-checks.skip=true}, the switch that also skips that {@code npm ci}.
 */
final class DeployChecks {

	static final Path DIRECTORY = Path.of(".ci/deploy-checks");

	private DeployChecks() {
	}

	/**
	 * Runs {@code validate-manifests.mjs} over manifest files.
	 * @param files multi-document YAML files
	 * @return its exit status and output
	 */
	static Result validateManifests(List<Path> files) {
		List<String> arguments = new ArrayList<>(List.of("validate-manifests.mjs"));
		files.forEach((file) -> arguments.add(file.toAbsolutePath().toString()));
		return node(arguments);
	}

	/**
	 * Runs {@code lint-dockerfile.mjs} on a Dockerfile.
	 * @param dockerfile the file to lint
	 * @return its exit status and output
	 */
	static Result lintDockerfile(Path dockerfile) {
		return node(List.of("lint-dockerfile.mjs", dockerfile.toAbsolutePath().toString()));
	}

	private static Result node(List<String> arguments) {
		// ./mvnw verify -Ddeploy-checks.skip=true: no Node.js wanted (Surefire passes -D
		// properties to the tests).
		Assumptions.assumeFalse(Boolean.getBoolean("deploy-checks.skip"),
				"deploy checks skipped (-Ddeploy-checks.skip)");
		if (!Files.isDirectory(DIRECTORY.resolve("node_modules"))) {
			throw new IllegalStateException(DIRECTORY + "/node_modules is missing: run ./mvnw verify (its npm ci step) "
					+ "or npm ci in " + DIRECTORY);
		}
		List<String> command = new ArrayList<>(List.of("node"));
		command.addAll(arguments);
		try {
			Path output = Files.createTempFile("deploy-check", ".log");
			Process process = new ProcessBuilder(command).directory(DIRECTORY.toFile())
				.redirectErrorStream(true)
				.redirectOutput(output.toFile())
				.start();
			if (!process.waitFor(2, TimeUnit.MINUTES)) {
				process.destroyForcibly();
				throw new IllegalStateException("Timed out: " + command);
			}
			String text = Files.readString(output, StandardCharsets.UTF_8);
			Files.delete(output);
			return new Result(process.exitValue(), text);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * What a check said.
	 *
	 * @param exitStatus 0 when everything passed
	 * @param output its report, one line per object or problem
	 */
	record Result(int exitStatus, String output) {
	}

}
