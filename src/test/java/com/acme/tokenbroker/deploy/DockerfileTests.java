package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile passes the lint (which also runs in Maven's {@code process-test-classes}
 * phase), the lint catches what it should, and the image agrees with the chart: user,
 * ports, working and config directories, build context.
 */
class DockerfileTests {

	static final Path DOCKERFILE = Path.of("Dockerfile");

	/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
	static List<String> instructions(Path dockerfile) {
		try {
			List<String> instructions = new ArrayList<>();
			StringBuilder current = new StringBuilder();
			for (String line : Files.readAllLines(dockerfile)) {
				String stripped = line.strip();
				if (stripped.startsWith("#") || (stripped.isEmpty() && current.isEmpty())) {
					continue;
				}
				if (stripped.endsWith("\\")) {
					current.append(stripped, 0, stripped.length() - 1).append(' ');
					continue;
				}
				instructions.add(current.append(stripped).toString().replaceAll("\\s+", " "));
				current.setLength(0);
			}
			return instructions;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** The instructions of the final stage. */
	static List<String> finalStage() {
		List<String> all = instructions(DOCKERFILE);
		int lastFrom = 0;
		for (int i = 0; i < all.size(); i++) {
			if (all.get(i).startsWith("FROM ")) {
				lastFrom = i;
			}
		}
		return all.subList(lastFrom, all.size());
	}

	static String last(String keyword) {
		return finalStage().stream()
			.filter((instruction) -> instruction.startsWith(keyword + " "))
			.reduce((first, second) -> second)
			.map((instruction) -> instruction.substring(keyword.length() + 1))
			.orElseThrow(() -> new AssertionError("No " + keyword + " in the final stage"));
	}

	@Test
	void theDockerfilePassesTheLint() {
		DeployChecks.Result result = DeployChecks.lintDockerfile(DOCKERFILE);

		assertThat(result.exitStatus()).as(result.output()).isZero();
		assertThat(result.output()).contains("is clean");
	}

	@Test
	void theLintRejectsFloatingTagsUnknownInstructionsShellEntrypointsBadPortsAndRoot() {
		DeployChecks.Result result = DeployChecks
			.lintDockerfile(Path.of("src/test/resources/deploy/invalid/Dockerfile"));

		assertThat(result.exitStatus()).isEqualTo(1);
		assertThat(result.output()).contains("pin the base image to an exact version tag")
			.contains("Unknown instruction: FOOBAR")
			.contains("ENTRYPOINT must use the exec form")
			.contains("EXPOSE 80800: not a port number")
			.contains("USER root: use a numeric, non-root uid");
	}

	@Test
	void workstationStartsAndTheBenchRunWithTheImagesJvmFlagsSizedAsTheChartsPod() throws Exception {
		Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
		JsonNode container = TokenBrokerChart.render("standalone-workload-identity")
			.one("Deployment")
			.at("/spec/template/spec/containers/0");

		assertThat(last("ENV")).isEqualTo("JDK_JAVA_OPTIONS=\"" + property(pom, "broker.jvm-flags") + "\"");
		assertThat(property(pom, "broker.jvm-max-ram"))
			.isEqualTo(container.at("/resources/limits/memory").asString().replace("Mi", "m"));
	}

	private static String property(Document pom, String name) {
		return pom.getElementsByTagName(name).item(0).getTextContent().strip();
	}

	@Test
	void theImageRunsAsTheUserTheChartDeclares() {
		JsonNode container = TokenBrokerChart.render("standalone-workload-identity")
			.one("Deployment")
			.at("/spec/template/spec/containers/0/securityContext");

		assertThat(last("USER"))
			.isEqualTo(container.path("runAsUser").asInt() + ":" + container.path("runAsGroup").asInt());
	}

	@Test
	void theImageExposesThePortsTheChartUses() {
		JsonNode config = TokenBrokerChart.render("standalone-workload-identity").applicationConfig();

		assertThat(last("EXPOSE").split(" ")).containsExactly(config.at("/server/port").asString(),
				config.at("/management/server/port").asString());
	}

	@Test
	void theImageReadsApplicationYmlFromTheDirectoryTheChartMountsItsConfigMapIn() {
		JsonNode mounts = TokenBrokerChart.render("standalone-workload-identity")
			.one("Deployment")
			.at("/spec/template/spec/containers/0/volumeMounts");
		String workdir = last("WORKDIR");

		assertThat(Manifests.named(mounts, "token-broker-config").path("mountPath").asString())
			.isEqualTo(workdir + "/config");
		assertThat(finalStage()).contains("COPY application.yml ./");
		assertThat(last("ENTRYPOINT")).startsWith("[\"java\"").endsWith("\"-jar\", \"" + workdir + "/app.jar\"]");
	}

	@Test
	void theBuildContextHoldsEverythingTheDockerfileCopies() throws IOException {
		List<String> included = Files.readAllLines(Path.of(".dockerignore"))
			.stream()
			.filter((line) -> line.startsWith("!"))
			.map((line) -> line.substring(1))
			.toList();
		List<String> sources = new ArrayList<>();
		for (String instruction : instructions(DOCKERFILE)) {
			if (instruction.startsWith("COPY ") && !instruction.contains("--from=")) {
				List<String> arguments = Arrays.asList(instruction.substring(5).split(" "));
				sources.addAll(arguments.subList(0, arguments.size() - 1));
			}
		}

		assertThat(sources).isNotEmpty().allSatisfy((source) -> assertThat(included).contains(source));
		assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("*");
	}

	/**
	 * The image runs with Spring AOT, and the AOT cache's training run starts the broker
	 * the same way (the same JVM flags but the cache's own), so that the cache holds the
	 * classes the generated initializers load.
	 */
	@Test
	void theImageAndItsAotCacheTrainingRunWithSpringAot() {
		List<String> entrypoint = Arrays.stream(last("ENTRYPOINT").replaceAll("[\\[\\]\"]", "").split(","))
			.map(String::strip)
			.toList();
		String training = finalStage().stream()
			.filter((instruction) -> instruction.startsWith("RUN java -XX:AOTCacheOutput="))
			.findFirst()
			.orElseThrow(() -> new AssertionError("No AOT cache training run in the final stage"));
		List<String> trainingFlags = Arrays
			.asList(training.substring("RUN java ".length(), training.indexOf(" -jar ")).split(" "));

		assertThat(entrypoint).contains("-Dspring.aot.enabled=true");
		List<String> runFlags = entrypoint.subList(1, entrypoint.indexOf("-jar"));
		assertThat(runFlags.stream().filter((flag) -> !flag.startsWith("-XX:AOTCache=")))
			.allSatisfy((flag) -> assertThat(trainingFlags).contains(flag));
		assertThat(trainingFlags.stream()
			.filter((flag) -> !flag.startsWith("-XX:AOTCacheOutput=") && !flag.startsWith("-Dspring.context.exit=")))
			.allSatisfy((flag) -> assertThat(runFlags).contains(flag));
		assertThat(training).contains("-jar " + entrypoint.get(entrypoint.size() - 1) + " ");
	}

}
