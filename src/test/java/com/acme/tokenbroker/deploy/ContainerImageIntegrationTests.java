package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image built from the repository's Dockerfile starts, as the chart runs it
 * (read-only root filesystem, a writable {@code /tmp}), becomes ready on the management
 * port and serves a token, on the embedded simulator. Needs a Docker engine: skipped
 * where there is none (the probe paths and the configuration are also checked without
 * Docker by {@link ProbeEndpointsIntegrationTests} and {@link DockerfileTests}).
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageIntegrationTests {

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Container
	static final GenericContainer<?> broker = new GenericContainer<>(
			new ImageFromDockerfile("token-broker-image-test", true).withDockerfile(Path.of("Dockerfile")))
		.withCommand("--spring.profiles.active=simulator")
		.withEnv("SERVER_ADDRESS", "0.0.0.0")
		.withExposedPorts(8080, 8081)
		.withCreateContainerCmdModifier(
				(command) -> command.getHostConfig().withReadonlyRootfs(true).withTmpFs(Map.of("/tmp", "rw,size=64m")))
		.waitingFor(Wait.forHttp("/actuator/health/readiness")
			.forPort(8081)
			.forStatusCode(200)
			.withStartupTimeout(Duration.ofMinutes(3)));

	@Test
	void theImageBecomesReadyAndServesATokenFromTheSimulator() throws Exception {
		String api = "http://" + broker.getHost() + ":" + broker.getMappedPort(8080);
		HttpResponse<String> caller = send(
				HttpRequest.newBuilder(URI.create(api + "/simulator/caller-tokens?subject=demo-app"))
					.POST(HttpRequest.BodyPublishers.noBody())
					.build());
		String callerToken = JsonMapper.shared().readTree(caller.body()).path("accessToken").asString();

		HttpResponse<String> token = send(HttpRequest.newBuilder(URI.create(api + "/tokens/fraud-scoring"))
			.header("Authorization", "Bearer " + callerToken)
			.build());

		assertThat(caller.statusCode()).isEqualTo(200);
		assertThat(token.statusCode()).isEqualTo(200);
		JsonNode body = JsonMapper.shared().readTree(token.body());
		assertThat(body.path("service").asString()).isEqualTo("fraud-scoring");
		assertThat(body.path("accessToken").asString()).isNotEmpty();
	}

	@Test
	void theImageRunsAsItsNonRootUserOnAReadOnlyRootFilesystem() throws Exception {
		ExecResult uid = broker.execInContainer("id", "-u");
		ExecResult write = broker.execInContainer("touch", "/app/written");

		assertThat(uid.getStdout().strip()).isEqualTo("10001");
		assertThat(write.getExitCode()).isNotZero();
	}

	private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
	}

}
