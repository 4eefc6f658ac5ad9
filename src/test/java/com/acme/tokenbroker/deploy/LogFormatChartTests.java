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
 * Issue 15, item 2: the chart's brokers log JSON lines (Spring Boot's structured logging,
 * ECS unless {@code logJsonFormat} says logstash) in every mode, or human text with
 * {@code logFormat: text}; the operator's other logging settings stay theirs.
 */
class LogFormatChartTests {

	@TempDir
	Path workDir;

	@Test
	void everyModeLogsEcsJsonByDefault() {
		for (String scenario : List.of("standalone-workload-identity", "node-workload-identity",
				"sidecar-workload-identity")) {
			JsonNode config = TokenBrokerChart.render(scenario).applicationConfig();

			assertThat(config.at("/logging/structured/format/console").asString()).as(scenario).isEqualTo("ecs");
		}
		assertThat(TokenBrokerChart.renderAppChart(this.workDir)
			.applicationConfig()
			.at("/logging/structured/format/console")
			.asString()).as("the sidecar of an app chart").isEqualTo("ecs");
		assertThat(TokenBrokerChart.renderDefaults()
			.applicationConfig()
			.at("/logging/structured/format/console")
			.asString()).as("the chart's defaults").isEqualTo("ecs");
	}

	@Test
	void logstashIsTheOtherJsonFormat() {
		JsonNode config = TokenBrokerChart.render("standalone-workload-identity", Map.of("logJsonFormat", "logstash"))
			.applicationConfig();

		assertThat(config.at("/logging/structured/format/console").asString()).isEqualTo("logstash");
	}

	@Test
	void textLeavesSpringBootsHumanReadableLines() {
		JsonNode config = TokenBrokerChart.render("node-workload-identity", Map.of("logFormat", "text"))
			.applicationConfig();

		assertThat(config.at("/logging/structured").isMissingNode()).isTrue();
	}

	@Test
	void theOperatorsLoggingLevelsStayBesideTheFormat() {
		for (String format : List.of("json", "text")) {
			JsonNode config = TokenBrokerChart
				.render("standalone-workload-identity",
						Map.of("logFormat", format, "extraConfig.logging.level.com\\.acme\\.tokenbroker", "DEBUG"))
				.applicationConfig();

			assertThat(config.at("/logging/level/com.acme.tokenbroker").asString()).as(format).isEqualTo("DEBUG");
		}
	}

	@Test
	void theSchemaRefusesOtherFormats() {
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", Map.of("logFormat", "yaml")))
			.withMessageContaining("logFormat");
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", Map.of("logJsonFormat", "gelf")))
			.withMessageContaining("logJsonFormat");
	}

}
