package com.acme.tokenbroker.simulator.boot;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The embedded simulated workspace, bound from {@code broker.simulator}. Read by
 * {@link SimulatorEnvironmentPostProcessor} before the application context starts.
 *
 * @param enabled start the simulator and point the broker at it (the {@code simulator}
 * profile sets this)
 * @param allowInCluster let it start even inside Kubernetes; off, so a stray profile
 * cannot reach production
 * @param allowRealSettings let it start beside real settings (trusted issuers, identity,
 * workspace hosts), which it then overrides; off, for the same reason (tests that run a
 * rendered chart configuration on the simulator set it)
 * @param refreshAfter simulated service tokens' {@code refreshAfter}, from issue time
 * @param expiresAfter simulated service tokens' expiry, from issue time
 * @param callerAudience audience of the simulated Entra ID caller tokens the broker
 * accepts
 * @param clusterAudience audience of the simulated cluster's service-account tokens the
 * broker accepts
 * @param mintableRoles roles an admin rule names that
 * {@code POST /simulator/caller-tokens} may still mint, for a demo of key rotation; none
 * by default, so anyone who reaches the simulator cannot make itself an admin
 */
@ConfigurationProperties("broker.simulator")
record SimulatorProperties(@DefaultValue("false") boolean enabled, @DefaultValue("false") boolean allowInCluster,
		@DefaultValue("false") boolean allowRealSettings, @DefaultValue("30m") Duration refreshAfter,
		@DefaultValue("750m") Duration expiresAfter, @DefaultValue("api://token-broker") String callerAudience,
		@DefaultValue("token-broker") String clusterAudience, List<String> mintableRoles) {

	public SimulatorProperties {
		mintableRoles = (mintableRoles != null) ? List.copyOf(mintableRoles) : List.of();
	}

	SimulatorLauncher.Settings settings() {
		return new SimulatorLauncher.Settings(this.refreshAfter, this.expiresAfter, this.callerAudience,
				this.clusterAudience);
	}

}
