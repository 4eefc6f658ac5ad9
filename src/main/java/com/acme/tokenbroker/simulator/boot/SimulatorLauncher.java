package com.acme.tokenbroker.simulator.boot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.IssuanceObserver;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.SimulatedWorkspaceBuilder;

/**
 * Starts a {@link SimulatedWorkspace} that mirrors the broker's configured workspaces and
 * services, and produces the broker properties that point the broker at it: the same path
 * the broker takes against a real workspace (HTTPS, azure-identity client-secret sign-in,
 * caller JWTs checked against JWKS), with every endpoint on loopback.
 */
public final class SimulatorLauncher {

	/** The client id of the broker's simulated service principal. */
	public static final String CLIENT_ID = "token-broker-simulated";

	/** The SSL bundle name under which the simulator's certificate is trusted. */
	public static final String SSL_BUNDLE = "token-broker-simulator";

	private SimulatorLauncher() {
	}

	/**
	 * Settings of a launched simulator.
	 *
	 * @param refreshAfter service tokens' refreshAfter, from issue time
	 * @param expiresAfter service tokens' expiry, from issue time
	 * @param callerAudience audience of Entra-issued caller tokens the broker accepts
	 * @param clusterAudience audience of cluster-issued (service-account) caller tokens
	 * the broker accepts
	 */
	public record Settings(Duration refreshAfter, Duration expiresAfter, String callerAudience,
			String clusterAudience) {

		public static Settings defaults() {
			return new Settings(SimulatedWorkspaceBuilder.DEFAULT_REFRESH_AFTER,
					SimulatedWorkspaceBuilder.DEFAULT_EXPIRES_AFTER, "api://token-broker", "token-broker");
		}

	}

	/**
	 * Build and start a simulator for the given catalog. Issuance observers found with
	 * {@link ServiceLoader} (tests register one to prove no secret reaches a log) are
	 * attached.
	 * @param workspaces the broker's workspaces by alias
	 * @param services the broker's services by name
	 * @param settings token lifetimes and audiences
	 * @return the started simulator
	 */
	public static SimulatedWorkspace launch(Map<String, CatalogProperties.Workspace> workspaces,
			Map<String, CatalogProperties.Service> services, Settings settings) {
		return launch(workspaces, services, settings, SimulatedWorkspace.builder());
	}

	/**
	 * Like {@link #launch(Map, Map, Settings)}, starting from a builder the caller has
	 * set up (clock, lifetimes).
	 * @param workspaces the broker's workspaces by alias
	 * @param services the broker's services by name
	 * @param settings token lifetimes and audiences
	 * @param builder a builder to add the catalog to
	 * @return the started simulator
	 */
	public static SimulatedWorkspace launch(Map<String, CatalogProperties.Workspace> workspaces,
			Map<String, CatalogProperties.Service> services, Settings settings, SimulatedWorkspaceBuilder builder) {
		ServiceLoader.load(IssuanceObserver.class).forEach(builder::observer);
		workspaces.values()
			.forEach((workspace) -> builder.workspace(workspace.name(), workspace.subscriptionId(),
					workspace.resourceGroup(), workspace.region()));
		services.forEach((name, service) -> {
			CatalogProperties.Workspace workspace = workspaces.get(service.workspace());
			if (workspace == null) {
				return;
			}
			String upstreamName = (service.upstreamName() != null) ? service.upstreamName() : name;
			if (service.kind() == ServiceKind.ONLINE_ENDPOINT) {
				builder.onlineEndpoint(workspace.name(), upstreamName, settings.refreshAfter(),
						settings.expiresAfter());
			}
			else {
				builder.webservice(workspace.name(), upstreamName, settings.refreshAfter(), settings.expiresAfter());
			}
		});
		builder.clientSecretPrincipal(CLIENT_ID);
		workspaces.values().forEach((workspace) -> builder.grant(CLIENT_ID, workspace.name(), "Reader"));
		return builder.start();
	}

	/**
	 * The broker properties that point every upstream, the broker's identity and caller
	 * authentication at the simulator.
	 * @param simulator the started simulator
	 * @param workspaces the broker's workspaces by alias
	 * @param settings the audiences for caller tokens
	 * @return property names and values
	 */
	public static Map<String, Object> brokerProperties(SimulatedWorkspace simulator,
			Map<String, CatalogProperties.Workspace> workspaces, Settings settings) {
		Map<String, Object> properties = new LinkedHashMap<>();
		workspaces.forEach((alias, workspace) -> {
			String endpoint = simulator.regionEndpoint(workspace.region()).toString();
			properties.put("broker.workspaces." + alias + ".mms-host", endpoint);
			properties.put("broker.workspaces." + alias + ".arm-host", endpoint);
		});
		// the simulated Entra ID issues tokens for the public cloud's resources only
		properties.put("broker.cloud", "public");
		properties.put("broker.identity.mode", "client-secret");
		properties.put("broker.identity.tenant-id", simulator.tenantId());
		properties.put("broker.identity.client-id", CLIENT_ID);
		properties.put("broker.identity.client-secret", simulator.generatedClientSecret(CLIENT_ID));
		properties.put("broker.identity.authority-host", simulator.authorityHost().toString());
		properties.put("broker.identity.disable-instance-discovery", "true");
		properties.put("broker.upstream.ssl-bundle", SSL_BUNDLE);
		properties.put("spring.ssl.bundle.pem." + SSL_BUNDLE + ".truststore.certificate",
				simulator.trustedCertificatePem());
		properties.put("broker.access.issuers[0].issuer-uri", simulator.entraIssuer());
		properties.put("broker.access.issuers[0].jwk-set-uri", simulator.entraJwksUri().toString());
		properties.put("broker.access.issuers[0].audiences[0]", settings.callerAudience());
		properties.put("broker.access.issuers[1].issuer-uri", simulator.clusterIssuer());
		properties.put("broker.access.issuers[1].jwk-set-uri", simulator.clusterJwksUri().toString());
		properties.put("broker.access.issuers[1].audiences[0]", settings.clusterAudience());
		properties.put("broker.simulator.authority-host", simulator.authorityHost().toString());
		properties.put("broker.simulator.tenant-id", simulator.tenantId());
		return properties;
	}

}
