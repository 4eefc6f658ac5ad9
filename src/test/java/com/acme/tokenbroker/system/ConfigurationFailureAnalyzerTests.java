package com.acme.tokenbroker.system;

import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report a configuration error gives at start: what is wrong, and where to fix it.
 */
class ConfigurationFailureAnalyzerTests {

	private final ConfigurationFailureAnalyzer analyzer = new ConfigurationFailureAnalyzer();

	@Test
	void aPropertyIsFixedInApplicationYml() {
		InvalidConfigurationException failure = new InvalidConfigurationException("broker.tokens.min-runway",
				"must be positive");
		FailureAnalysis analysis = this.analyzer.analyze(new IllegalStateException(failure), failure);

		assertThat(analysis.getDescription())
			.isEqualTo("Invalid broker configuration: broker.tokens.min-runway: must be positive");
		assertThat(analysis.getAction()).startsWith("Fix 'broker.tokens.min-runway' in application.yml");
	}

	@Test
	void aServicesFileErrorIsFixedInTheFile() {
		InvalidConfigurationException failure = new InvalidConfigurationException("broker.services-file",
				"/etc/services.yml unknown property 'a.requried'");
		FailureAnalysis analysis = this.analyzer.analyze(failure, failure);

		assertThat(analysis.getAction())
			.startsWith("Fix the services file that 'broker.services-file' names (or the property itself)");
	}

}
