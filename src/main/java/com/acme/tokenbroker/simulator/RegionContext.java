package com.acme.tokenbroker.simulator;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Supplier;

/**
 * What the parts of one simulated region share: its name and address, the directory, the
 * Entra tenant that signs management tokens, the clock and the issuance observer.
 */
final class RegionContext {

	private final String region;

	private final Directory directory;

	private final SimulatedEntra entra;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	private volatile String baseUrl = "https://localhost:0";

	RegionContext(String region, Directory directory, SimulatedEntra entra, Supplier<Clock> clock,
			IssuanceObserver observer) {
		this.region = region;
		this.directory = directory;
		this.entra = entra;
		this.clock = clock;
		this.observer = observer;
	}

	void bound(int port) {
		this.baseUrl = "https://localhost:" + port;
	}

	String region() {
		return this.region;
	}

	String baseUrl() {
		return this.baseUrl;
	}

	Directory directory() {
		return this.directory;
	}

	SimulatedEntra entra() {
		return this.entra;
	}

	IssuanceObserver observer() {
		return this.observer;
	}

	/**
	 * The simulator's clock, for validity checks.
	 */
	Instant instant() {
		return this.clock.get().instant();
	}

	/**
	 * The simulator's time in whole seconds, as token times are on the wire.
	 */
	Instant now() {
		return instant().truncatedTo(ChronoUnit.SECONDS);
	}

	/**
	 * The scoring URI of a service of a workspace in this region.
	 */
	String scoringUri(String workspace, String service) {
		return this.baseUrl + "/score/" + workspace + "/" + service;
	}

	@Override
	public String toString() {
		return this.region + " " + this.baseUrl;
	}

}
