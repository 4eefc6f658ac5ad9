package com.acme.tokenbroker.system;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a configuration error found at start into a short report naming the property,
 * instead of a stack trace.
 */
class ConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<InvalidConfigurationException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidConfigurationException cause) {
		return new FailureAnalysis("Invalid broker configuration: " + cause.getMessage(),
				"Fix '" + cause.getProperty() + "' in application.yml (or its environment variable) and start again. "
						+ "The configuration reference is in application.yml and docs/configuration.md.",
				cause);
	}

}
