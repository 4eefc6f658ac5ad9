package com.acme.tokenbroker.simulator;

import java.time.Clock;
import java.util.UUID;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

/**
 * The simulated Entra ID (with the cluster issuer and the managed-identity endpoint) on
 * its own listener, with the listener's fault switch and the hosting environment's
 * {@code IDENTITY_HEADER}.
 */
final class EntraListener {

	/** The listener's name, under which its calls are counted. */
	static final String NAME = "entra";

	private final SimulatedEntra api;

	private final FaultSwitch faults = new FaultSwitch(NAME);

	private final Listener listener;

	/** {@code null} without a managed identity. */
	private final String identityHeader;

	EntraListener(SimulatedWorkspaceBuilder builder, Directory directory, Supplier<Clock> clock,
			IssuanceObserver observer, SSLContext sslContext, Recorder recorder, int threads) {
		String systemAssigned = builder.principals.values()
			.stream()
			.filter(Principal.Managed.class::isInstance)
			.map(Principal::clientId)
			.findFirst()
			.orElse(null);
		this.identityHeader = (systemAssigned != null) ? "sim-identity-header~" + UUID.randomUUID() : null;
		this.api = new SimulatedEntra(directory, clock, observer, builder.accessTokenLifetime, this.identityHeader,
				systemAssigned, builder.managedIdentityTokenLifetime);
		this.listener = new Listener(NAME, sslContext, this.faults, recorder, this.api, threads);
	}

	SimulatedEntra api() {
		return this.api;
	}

	FaultSwitch faults() {
		return this.faults;
	}

	String identityHeader() {
		return this.identityHeader;
	}

	String requireIdentityHeader() {
		if (this.identityHeader == null) {
			throw new IllegalStateException("No managed identity registered");
		}
		return this.identityHeader;
	}

	int port() {
		return this.listener.port();
	}

	void start() {
		this.listener.start();
		this.api.bound(this.listener.port());
	}

	void close() {
		this.listener.close();
	}

}
