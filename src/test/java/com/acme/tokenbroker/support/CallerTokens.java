package com.acme.tokenbroker.support;

import java.time.Duration;
import java.util.Map;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;

/**
 * Caller tokens minted by a simulated workspace's Entra issuer for the broker's audience,
 * which {@link TestWorkspaces#register} trusts.
 */
public final class CallerTokens {

	/** The broker's audience in {@link TestWorkspaces#settings()}. */
	public static final String AUDIENCE = "api://token-broker";

	/** The caller that {@link TestWorkspaces#register} grants every service. */
	public static final String APP = "app";

	private CallerTokens() {
	}

	/**
	 * @param simulator the workspace whose issuer signs
	 * @return a token of the caller {@code app}, valid for ten minutes
	 */
	public static String app(SimulatedWorkspace simulator) {
		return mint(simulator, APP, Duration.ofMinutes(10));
	}

	/**
	 * @param simulator the workspace whose issuer signs
	 * @param subject the caller
	 * @param lifetime how long the token is valid
	 * @return a token of the caller for the broker's audience, without extra claims
	 */
	public static String mint(SimulatedWorkspace simulator, String subject, Duration lifetime) {
		return simulator.mintCallerToken(subject, AUDIENCE, Map.of(), lifetime);
	}

}
