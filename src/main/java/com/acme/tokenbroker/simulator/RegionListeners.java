package com.acme.tokenbroker.simulator;

import java.time.Clock;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

/**
 * One listener per region that has workspaces, serving the MMS and ARM paths of the
 * workspaces located there, each with a fault switch for the whole listener and one per
 * {@link Operation}.
 */
final class RegionListeners {

	private final Map<String, Region> regions = new TreeMap<>();

	RegionListeners(Directory directory, SimulatedEntra entra, Supplier<Clock> clock, IssuanceObserver observer,
			int pollsUntilDone, SSLContext serverSslContext, Recorder recorder, int threads) {
		Set<String> names = new LinkedHashSet<>();
		directory.workspaces().values().forEach((workspace) -> names.add(workspace.region()));
		for (String name : names) {
			FaultSwitch faults = new FaultSwitch(name);
			Map<Operation, FaultSwitch> operationFaults = new EnumMap<>(Operation.class);
			for (Operation operation : Operation.values()) {
				operationFaults.put(operation, new FaultSwitch(name + "/" + operation.name()));
			}
			SimulatedRegion api = new SimulatedRegion(name, directory, entra, clock, observer, pollsUntilDone);
			Listener listener = new Listener(name, serverSslContext, faults, operationFaults, recorder, api, threads);
			this.regions.put(name, new Region(api, listener, faults, Map.copyOf(operationFaults)));
		}
	}

	Set<String> names() {
		return Set.copyOf(this.regions.keySet());
	}

	int size() {
		return this.regions.size();
	}

	/**
	 * The region called {@code name}.
	 * @throws IllegalArgumentException for a region without workspaces
	 */
	Region region(String name) {
		Region region = this.regions.get(name);
		if (region == null) {
			throw new IllegalArgumentException("No workspace in region '" + name + "'");
		}
		return region;
	}

	/**
	 * Whether the workspace's region accepts the service token; {@code false} for no
	 * workspace.
	 */
	boolean acceptsServiceToken(Directory.Workspace workspace, String service, String token) {
		if (workspace == null || token == null) {
			return false;
		}
		return region(workspace.region()).api().acceptsServiceToken(workspace, service, token);
	}

	void start() {
		this.regions.values().forEach((region) -> {
			region.listener().start();
			region.api().bound(region.listener().port());
		});
	}

	void close() {
		this.regions.values().forEach((region) -> region.listener().close());
	}

	@Override
	public String toString() {
		return this.regions.keySet().toString();
	}

	record Region(SimulatedRegion api, Listener listener, FaultSwitch faults,
			Map<Operation, FaultSwitch> operationFaults) {

		FaultSwitch faults(Operation operation) {
			return this.operationFaults.get(operation);
		}

	}

}
