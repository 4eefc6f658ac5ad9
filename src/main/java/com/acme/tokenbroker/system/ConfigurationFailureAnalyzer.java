package com.acme.tokenbroker.system;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a configuration error found at start into a short report naming the property,
 * instead of a stack trace.
 */
class ConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<InvalidConfigurationException> {

	/** Its errors are mostly in the file it names, not in the property. */
	private static final String SERVICES_FILE = "broker.services-file";

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidConfigurationException cause) {
		String fix = SERVICES_FILE.equals(cause.getProperty())
				? "Fix the services file that '" + SERVICES_FILE + "' names (or the property itself) and start again. "
				: "Fix '" + cause.getProperty()
						+ "' in application.yml (or its environment variable) and start again. ";
		return new FailureAnalysis("Invalid broker configuration: " + cause.getMessage(),
				fix + "The configuration reference is in application.yml and docs/configuration.md.", cause);
	}

}
