package com.acme.tokenbroker.system;

/**
 * A configuration value that is present but wrong. The message always starts with the
 * full property name, so the boot failure tells the operator exactly what to fix.
 */
public class InvalidConfigurationException extends IllegalStateException {

	private final String property;

	public InvalidConfigurationException(String property, String reason) {
		super(property + ": " + reason);
		this.property = property;
	}

	public String getProperty() {
		return this.property;
	}

}
