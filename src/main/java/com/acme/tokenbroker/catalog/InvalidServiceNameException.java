package com.acme.tokenbroker.catalog;

/**
 * A service name that does not match the allowed pattern. The offending value is
 * deliberately not kept: it came from the caller and may be arbitrarily long or hostile.
 */
public class InvalidServiceNameException extends IllegalArgumentException {

	public InvalidServiceNameException() {
		super("Service names are 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit");
	}

}
