package com.acme.tokenbroker.catalog;

import java.util.regex.Pattern;

/**
 * The name callers use for a service: 1 to 64 characters, letters, digits, {@code .},
 * {@code _} and {@code -}, starting with a letter or digit. Anything else is rejected
 * before any lookup, so an odd name can never reach an upstream URL or a log line.
 *
 * @param value the validated name
 */
public record ServiceName(String value) {

	private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

	public ServiceName {
		if (!isValid(value)) {
			throw new InvalidServiceNameException();
		}
	}

	public static ServiceName of(String value) {
		return new ServiceName(value);
	}

	public static boolean isValid(String value) {
		return value != null && VALID.matcher(value).matches();
	}

	@Override
	public String toString() {
		return this.value;
	}

}
