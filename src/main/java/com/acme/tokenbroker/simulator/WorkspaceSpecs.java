package com.acme.tokenbroker.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The workspaces and services a {@link SimulatedWorkspaceBuilder} has declared, checked
 * as they are added. Keys are generated only by {@link #build(Instant)}, afresh each
 * time: a builder may build more than one simulator.
 */
final class WorkspaceSpecs {

	private final Map<String, WorkspaceSpec> workspaces = new LinkedHashMap<>();

	/**
	 * Web services and online endpoints by workspace, then by name. Scoring URIs, keys
	 * and modes address a service by workspace and name alone, so the two kinds share one
	 * name space.
	 */
	private final Map<String, Map<String, ServiceSpec>> services = new LinkedHashMap<>();

	void addWorkspace(String name, String subscriptionId, String resourceGroup, String region) {
		if (this.workspaces.putIfAbsent(name, new WorkspaceSpec(subscriptionId, resourceGroup, region)) != null) {
			throw new IllegalArgumentException("Workspace '" + name + "' already added");
		}
		this.services.put(name, new LinkedHashMap<>());
	}

	void addService(Directory.Kind kind, String workspace, String name, Duration refreshAfter, Duration expiresAfter) {
		SimulatedWorkspaceBuilder.requireText(name, "name");
		Map<String, ServiceSpec> services = servicesOf(workspace);
		SimulatedWorkspaceBuilder.requirePositive(refreshAfter, "refreshAfter");
		SimulatedWorkspaceBuilder.requirePositive(expiresAfter, "expiresAfter");
		if (refreshAfter.compareTo(expiresAfter) > 0) {
			throw new IllegalArgumentException("refreshAfter must not be after expiresAfter");
		}
		ServiceSpec existing = services.putIfAbsent(name,
				new ServiceSpec(kind, refreshAfter, expiresAfter, AuthMode.AML_TOKEN));
		if (existing != null && existing.kind() != kind) {
			throw new IllegalArgumentException("A web service and an online endpoint may not share the name '" + name
					+ "' in '" + workspace + "'");
		}
		if (existing != null) {
			throw new IllegalArgumentException("Service '" + name + "' already added to '" + workspace + "'");
		}
	}

	void authMode(String workspace, String service, AuthMode mode) {
		Map<String, ServiceSpec> services = servicesOf(workspace);
		ServiceSpec spec = services.get(service);
		if (spec == null) {
			throw new IllegalArgumentException(
					"Unknown service '" + service + "' in '" + workspace + "': add it first");
		}
		ServiceAuth.requireModeFits(spec.kind() == Directory.Kind.ONLINE_ENDPOINT, service, mode);
		services.put(service, spec.withMode(mode));
	}

	/**
	 * Build the declared workspaces with fresh signing keys and services with fresh
	 * service keys.
	 * @param createdAt the workspaces' creation time
	 * @return the workspaces by name
	 */
	Map<String, Directory.Workspace> build(Instant createdAt) {
		Map<String, Directory.Workspace> built = new LinkedHashMap<>();
		this.workspaces.forEach((name, spec) -> built.put(name,
				new Directory.Workspace(name, spec.subscriptionId(), spec.resourceGroup(), spec.region(),
						services(this.services.get(name), Directory.Kind.WEBSERVICE),
						services(this.services.get(name), Directory.Kind.ONLINE_ENDPOINT),
						SigningKey.generate("workspace-" + name + "-" + UUID.randomUUID()), createdAt)));
		return built;
	}

	private Map<String, ServiceSpec> servicesOf(String workspace) {
		Map<String, ServiceSpec> services = this.services.get(workspace);
		if (services == null) {
			throw new IllegalArgumentException("Unknown workspace '" + workspace + "': add it first");
		}
		return services;
	}

	private static Map<String, Directory.Service> services(Map<String, ServiceSpec> specs, Directory.Kind kind) {
		Map<String, Directory.Service> services = new LinkedHashMap<>();
		specs.forEach((name, spec) -> {
			if (spec.kind() == kind) {
				services.put(name, new Directory.Service(name, spec.refreshAfter(), spec.expiresAfter(), kind,
						new ServiceAuth(spec.mode())));
			}
		});
		return Map.copyOf(services);
	}

	private record WorkspaceSpec(String subscriptionId, String resourceGroup, String region) {
	}

	private record ServiceSpec(Directory.Kind kind, Duration refreshAfter, Duration expiresAfter, AuthMode mode) {

		ServiceSpec withMode(AuthMode mode) {
			return new ServiceSpec(this.kind, this.refreshAfter, this.expiresAfter, mode);
		}

	}

}
