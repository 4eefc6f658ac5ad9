package com.acme.tokenbroker.catalog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code broker.services-file} in a running broker: its services are served like those of
 * {@code broker.services}, in each auth mode the simulator has (the simulated workspace
 * serves them too), and a bad file stops the boot naming the property.
 */
class ServicesFileBootTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path directory;

	private static String[] args(String... properties) {
		return Stream
			.concat(Stream.of("spring.profiles.active=simulator", "server.port=0", "management.server.port=0"),
					Stream.of(properties))
			.map((property) -> "--" + property)
			.toArray(String[]::new);
	}

	@Test
	void servicesOfTheFileAreServedBesideThoseOfTheEnvironment() throws Exception {
		Path file = Files.writeString(this.directory.resolve("services.yml"), """
				services:
				  file-model:
				    workspace: demo-weu
				    required: false
				  file-token:
				    workspace: demo-weu
				    authMode: aml-token
				  File.Endpoint_2:
				    workspace: demo-eus
				    kind: online-endpoint
				    upstream-name: file-endpoint
				""");
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TokenBrokerApplication.class)
			.run(args("broker.services-file=" + file))) {
			int port = ((WebServerApplicationContext) context).getWebServer().getPort();
			HttpClient client = HttpClient.newHttpClient();
			String caller = JSON
				.readTree(client
					.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/simulator/caller-tokens"))
						.POST(HttpRequest.BodyPublishers.noBody())
						.build(), HttpResponse.BodyHandlers.ofString())
					.body())
				.get("accessToken")
				.asString();
			JsonNode model = token(client, port, caller, "file-model");
			JsonNode named = token(client, port, caller, "file-token");
			JsonNode endpoint = token(client, port, caller, "File.Endpoint_2");
			JsonNode configured = token(client, port, caller, "fraud-scoring");
			assertThat(model.get("credentialType").asString()).isEqualTo("aml_token");
			assertThat(named.get("credentialType").asString()).isEqualTo("aml_token");
			assertThat(endpoint.get("service").asString()).isEqualTo("File.Endpoint_2");
			assertThat(endpoint.get("accessToken").asString()).isNotBlank();
			assertThat(configured.get("credentialType").asString()).isEqualTo("aml_token");
			ServiceCatalog catalog = context.getBean(ServiceCatalog.class);
			assertThat(catalog.find(ServiceName.of("file-model")).orElseThrow().required()).isFalse();
			assertThat(catalog.find(ServiceName.of("file-token")).orElseThrow().authMode())
				.isEqualTo(AuthMode.AML_TOKEN);
			assertThat(catalog.find(ServiceName.of("File.Endpoint_2")).orElseThrow().upstreamName())
				.isEqualTo("file-endpoint");
			// the file's services are the broker's alone: Spring's Environment never
			// holds them
			assertThat(context.getEnvironment().getProperty("broker.services.file-model.workspace")).isNull();
		}
	}

	private static JsonNode token(HttpClient client, int port, String caller, String service)
			throws IOException, InterruptedException {
		HttpResponse<String> response = client
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/tokens/" + service))
				.header("Authorization", "Bearer " + caller)
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(service + ": " + response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	@Test
	void aServiceInBothTheFileAndTheEnvironmentStopsTheBoot() throws IOException {
		assertThat(failureWith("services:\n  fraud-scoring:\n    workspace: demo-weu\n"))
			.contains("'fraud-scoring' is also configured under broker.services");
	}

	@Test
	void aMisspelledPropertyInTheFileStopsTheBoot() throws IOException {
		assertThat(failureWith("services:\n  file-model:\n    workspace: demo-weu\n    requried: false\n"))
			.contains("unknown property 'file-model.requried'");
	}

	@Test
	void aMissingFileStopsTheBoot() {
		InvalidConfigurationException failure = failure(
				args("broker.tokens.warm-up=false", "broker.services-file=" + this.directory.resolve("missing.yml")));
		assertThat(failure.getProperty()).isEqualTo("broker.services-file");
		assertThat(failure.getMessage()).contains("cannot be read");
	}

	/** The message of the boot failure with a services file of this content. */
	private String failureWith(String content) throws IOException {
		Path file = Files.writeString(this.directory.resolve("services.yml"), content);
		InvalidConfigurationException failure = failure(
				args("broker.tokens.warm-up=false", "broker.services-file=" + file));
		assertThat(failure.getProperty()).isEqualTo("broker.services-file");
		return failure.getMessage();
	}

	private static InvalidConfigurationException failure(String[] args) {
		Throwable cause = catchThrowable(
				() -> new SpringApplicationBuilder(TokenBrokerApplication.class).run(args).close());
		while (cause != null && !(cause instanceof InvalidConfigurationException)) {
			cause = cause.getCause();
		}
		assertThat(cause).as("an InvalidConfigurationException").isNotNull();
		return (InvalidConfigurationException) cause;
	}

}
