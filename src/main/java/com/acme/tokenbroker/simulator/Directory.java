package com.acme.tokenbroker.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the simulated tenant and subscriptions contain: principals, workspaces with their
 * services, and role assignments (which may change at run time).
 */
final class Directory {

	/** Roles that let a principal read a workspace and fetch its service tokens. */
	static final Set<String> ROLES_WITH_TOKEN_ACCESS = Set.of("Reader", "Contributor", "Owner",
			"AzureML Data Scientist");

	private final String tenantId;

	private final Map<String, Principal> principals;

	private final Map<String, Workspace> workspaces;

	private final Map<String, Set<String>> roles = new ConcurrentHashMap<>();

	Directory(String tenantId, Map<String, Principal> principals, Map<String, Workspace> workspaces) {
		this.tenantId = tenantId;
		this.principals = Map.copyOf(principals);
		this.workspaces = Map.copyOf(workspaces);
	}

	String tenantId() {
		return this.tenantId;
	}

	Principal principal(String clientId) {
		return (clientId != null) ? this.principals.get(clientId) : null;
	}

	Map<String, Principal> principals() {
		return this.principals;
	}

	Workspace workspace(String name) {
		return (name != null) ? this.workspaces.get(name) : null;
	}

	Map<String, Workspace> workspaces() {
		return this.workspaces;
	}

	/**
	 * The web service or online endpoint {@code service} of {@code workspace}.
	 * @throws IllegalArgumentException for an unknown workspace or service
	 */
	Service requireService(String workspace, String service) {
		Workspace found = workspace(workspace);
		if (found == null) {
			throw new IllegalArgumentException("Unknown workspace '" + workspace + "'");
		}
		Service result = (service != null) ? found.service(service) : null;
		if (result == null) {
			throw new IllegalArgumentException("Unknown service '" + service + "' in workspace '" + workspace + "'");
		}
		return result;
	}

	void grant(String clientId, String workspace, String role) {
		requireKnown(clientId, workspace);
		this.roles.computeIfAbsent(key(clientId, workspace), (k) -> ConcurrentHashMap.newKeySet()).add(role);
	}

	void revoke(String clientId, String workspace, String role) {
		requireKnown(clientId, workspace);
		this.roles.getOrDefault(key(clientId, workspace), Set.of()).remove(role);
	}

	boolean hasTokenAccess(String clientId, String workspace) {
		Set<String> assigned = this.roles.getOrDefault(key(clientId, workspace), Set.of());
		return assigned.stream().anyMatch(ROLES_WITH_TOKEN_ACCESS::contains);
	}

	private void requireKnown(String clientId, String workspace) {
		if (!this.principals.containsKey(clientId)) {
			throw new IllegalArgumentException("Unknown principal '" + clientId + "'");
		}
		if (!this.workspaces.containsKey(workspace)) {
			throw new IllegalArgumentException("Unknown workspace '" + workspace + "'");
		}
	}

	private static String key(String clientId, String workspace) {
		return clientId + "\n" + workspace;
	}

	/**
	 * A workspace, its services and the key its service tokens are signed with.
	 */
	record Workspace(String name, String subscriptionId, String resourceGroup, String region,
			Map<String, Service> webservices, Map<String, Service> onlineEndpoints, SigningKey signingKey,
			Instant createdAt) {

		/**
		 * The web service or online endpoint named {@code name} (the builder keeps the
		 * two kinds' names apart within a workspace), or {@code null}.
		 */
		Service service(String name) {
			Service found = this.webservices.get(name);
			return (found != null) ? found : this.onlineEndpoints.get(name);
		}

		String armId() {
			return "/subscriptions/" + this.subscriptionId + "/resourceGroups/" + this.resourceGroup
					+ "/providers/Microsoft.MachineLearningServices/workspaces/" + this.name;
		}

		@Override
		public String toString() {
			return "Workspace[" + this.name + " in " + this.region + "]";
		}

	}

	/**
	 * A web service (MMS v1) or online endpoint (ARM v2): its service-token times and its
	 * mutable authentication state (mode and keys).
	 */
	record Service(String name, Duration refreshAfter, Duration expiresAfter, Kind kind, ServiceAuth auth) {

		boolean isOnlineEndpoint() {
			return this.kind == Kind.ONLINE_ENDPOINT;
		}

		@Override
		public String toString() {
			return "Service[" + this.name + ", " + this.kind + ", " + this.auth.mode() + "]";
		}

	}

	/**
	 * The two kinds of service.
	 */
	enum Kind {

		/** An MMS v1 web service. */
		WEBSERVICE,

		/** An ARM v2 online endpoint. */
		ONLINE_ENDPOINT

	}

}
