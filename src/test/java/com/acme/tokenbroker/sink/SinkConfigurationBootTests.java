package com.acme.tokenbroker.sink;

import java.nio.file.Path;
import java.util.stream.Stream;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.builder.SpringApplicationBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A bad sink stops the boot, and the failure names the property to fix (issue 16, item
 * 3). The simulator profile gives a valid catalog ({@code fraud-scoring}).
 */
class SinkConfigurationBootTests {

	@TempDir
	Path directory;

	private String failingProperty(String... properties) {
		String[] args = Stream
			.concat(Stream.of("spring.profiles.active=simulator", "server.port=0", "management.server.port=0",
					"broker.tokens.warm-up=false"), Stream.of(properties))
			.map((property) -> "--" + property)
			.toArray(String[]::new);
		Throwable cause = catchThrowable(
				() -> new SpringApplicationBuilder(TokenBrokerApplication.class).run(args).close());
		while (cause != null && !(cause instanceof InvalidConfigurationException)) {
			cause = cause.getCause();
		}
		assertThat(cause).as("an InvalidConfigurationException").isNotNull();
		return ((InvalidConfigurationException) cause).getProperty();
	}

	@Test
	void aSinkForAnUnknownServiceStopsTheBoot() {
		assertThat(failingProperty("broker.sinks.fraud.service=nope",
				"broker.sinks.fraud.path=" + this.directory.resolve("fraud.token")))
			.isEqualTo("broker.sinks.fraud.service");
	}

	@Test
	void aModeYamlReadAsANumberStopsTheBoot() {
		assertThat(failingProperty("broker.sinks.fraud.service=fraud-scoring",
				"broker.sinks.fraud.path=" + this.directory.resolve("fraud.token"), "broker.sinks.fraud.mode=288"))
			.isEqualTo("broker.sinks.fraud.mode");
	}

	@Test
	void aSinkInAMissingDirectoryStopsTheBoot() {
		assertThat(failingProperty("broker.sinks.fraud.service=fraud-scoring",
				"broker.sinks.fraud.path=" + this.directory.resolve("missing/fraud.token")))
			.isEqualTo("broker.sinks.fraud.path");
	}

}
