package com.acme.tokenbroker.simulator;

/**
 * Filler for the {@link Fault.Kind#OVERSIZED} fault: a JWT-looking string just over 1
 * MiB. It is junk, not a secret, so it is not reported to the {@link IssuanceObserver}.
 */
final class Padding {

	static final int OVERSIZED_CHARS = 1024 * 1024 + 4096;

	private Padding() {
	}

	static String oversizedToken() {
		return "eyJ" + "A".repeat(OVERSIZED_CHARS);
	}

}
