package com.acme.tokenbroker.support;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.simulator.IssuanceObserver;

/**
 * Remembers every secret any simulated workspace of this test run issued (registered with
 * {@link java.util.ServiceLoader}, so simulators started by the broker itself report here
 * too), and any secret a test records by hand.
 */
public final class SecretLedger implements IssuanceObserver {

	private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

	@Override
	public void issued(String secret) {
		record(secret);
	}

	public static void record(String secret) {
		if (secret != null && !secret.isBlank()) {
			SECRETS.add(secret);
		}
	}

	public static Set<String> secrets() {
		return Set.copyOf(SECRETS);
	}

}
