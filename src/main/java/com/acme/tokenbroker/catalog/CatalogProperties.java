package com.acme.tokenbroker.catalog;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The workspaces the broker talks to and the services callers may ask for, bound from
 * {@code broker.workspaces} and {@code broker.services}. Cross-references (a service's
 * workspace) are checked by {@link ServiceCatalog}.
 *
 * @param workspaces workspaces by a local alias
 * @param services services by the name callers use
 * @param cloud the Azure cloud: {@code public}, {@code china} or {@code us-government}
 * ({@link Cloud}); it gives the hosts and scopes no property names
 * @param servicesFile a YAML file of more services, read by the broker itself
 * ({@link ServicesFile}): the way to configure hundreds or thousands of services, which
 * under {@code broker.services} cost the heap several times what the broker keeps per
 * service
 */
@ConfigurationProperties("broker")
public record CatalogProperties(Map<String, Workspace> workspaces, Map<String, Service> services,
		@DefaultValue("public") String cloud, String servicesFile) {

	@ConstructorBinding
	public CatalogProperties {
		workspaces = (workspaces != null) ? new LinkedHashMap<>(workspaces) : new LinkedHashMap<>();
		services = (services != null) ? new LinkedHashMap<>(services) : new LinkedHashMap<>();
	}

	public CatalogProperties(Map<String, Workspace> workspaces, Map<String, Service> services) {
		this(workspaces, services, null, null);
	}

	public CatalogProperties(Map<String, Workspace> workspaces, Map<String, Service> services, String cloud) {
		this(workspaces, services, cloud, null);
	}

	/**
	 * An Azure Machine Learning workspace.
	 *
	 * @param subscriptionId the Azure subscription id
	 * @param resourceGroup the resource group holding the workspace
	 * @param name the workspace name in Azure
	 * @param region the Azure region, e.g. {@code westeurope}; also the circuit-breaker
	 * and metrics dimension
	 * @param mmsHost v1 model-management host; defaults to the cloud's, in the public
	 * cloud {@code https://{region}.api.azureml.ms}
	 * @param armHost Azure Resource Manager host; defaults to the cloud's, in the public
	 * cloud {@code https://management.azure.com}
	 * @param armApiVersion api-version for online endpoint calls
	 */
	public record Workspace(String subscriptionId, String resourceGroup, String name, String region, URI mmsHost,
			URI armHost, @DefaultValue("2025-06-01") String armApiVersion) {
	}

	/**
	 * A service callers can fetch a credential for.
	 *
	 * @param workspace alias of the workspace (a key of {@code broker.workspaces})
	 * @param kind {@code webservice} (v1) or {@code online-endpoint} (v2)
	 * @param upstreamName the service or endpoint name in Azure; defaults to the name
	 * callers use
	 * @param required whether readiness depends on this service having a valid token
	 * @param authMode {@code auto} (discover from the service's metadata),
	 * {@code aml-token}, {@code key} or {@code aad-token}
	 * @param identity the alias of the broker identity that fetches this service's
	 * credential (a key of {@code broker.identities}); default {@code default}, the
	 * identity of {@code broker.identity}. For {@code aad-token} services it is also the
	 * identity whose Entra token callers receive
	 */
	public record Service(String workspace, @DefaultValue("webservice") ServiceKind kind, String upstreamName,
			@DefaultValue("true") boolean required, @DefaultValue("auto") AuthMode authMode, String identity) {

		@ConstructorBinding
		public Service {
		}

		public Service(String workspace, ServiceKind kind, String upstreamName, boolean required) {
			this(workspace, kind, upstreamName, required, AuthMode.AUTO);
		}

		public Service(String workspace, ServiceKind kind, String upstreamName, boolean required, AuthMode authMode) {
			this(workspace, kind, upstreamName, required, authMode, null);
		}

	}

}
