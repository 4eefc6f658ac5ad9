package com.acme.tokenbroker.catalog;

import java.net.URI;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.springframework.stereotype.Component;

/**
 * The validated, immutable view of {@link CatalogProperties}. Construction fails with an
 * {@link InvalidConfigurationException} naming the property when the configuration is
 * inconsistent, so a bad config stops the boot instead of the first request.
 */
@Component
public class ServiceCatalog {

	private static final Pattern REGION = Pattern.compile("[a-z0-9]{2,40}");

	/** Names {@code [a-z0-9]} that the broker's other circuit breakers already carry. */
	private static final java.util.Set<String> RESERVED_REGIONS = java.util.Set.of(CircuitBreakers.ENTRA);

	/**
	 * Aliases of {@code broker.identities}, as they appear in property names and
	 * messages.
	 */
	public static final Pattern IDENTITY_ALIAS = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

	private static final Pattern AZURE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._()-]{0,89}");

	private final Map<String, ServiceDescriptor> services;

	private final Map<String, WorkspaceDescriptor> workspaces;

	private final Cloud cloud;

	/** The services read from {@code broker.services-file}, and the file. */
	private final java.util.Set<String> fromFile = new java.util.HashSet<>();

	private final String servicesFile;

	public ServiceCatalog(CatalogProperties properties) {
		Cloud cloud = Cloud.of(properties.cloud());
		Map<String, WorkspaceDescriptor> resolvedWorkspaces = new LinkedHashMap<>();
		properties.workspaces()
			.forEach((alias, workspace) -> resolvedWorkspaces.put(alias, resolve(alias, workspace, cloud)));
		Map<String, ServiceDescriptor> resolvedServices = new LinkedHashMap<>();
		properties.services()
			.forEach((name, service) -> resolvedServices.put(name, resolve(name, service, resolvedWorkspaces, (suffix,
					reason) -> new InvalidConfigurationException("broker.services." + name + suffix, reason))));
		if (properties.servicesFile() != null && !properties.servicesFile().isBlank()) {
			String file = properties.servicesFile();
			ServicesFile.read(file).forEach((name, service) -> {
				if (resolvedServices.containsKey(name)) {
					// two definitions, and no order between a file and the Environment
					// that an operator could be expected to know
					throw new InvalidConfigurationException(ServicesFile.PROPERTY,
							file + " service '" + name + "' is also configured under broker.services");
				}
				this.fromFile.add(name);
				resolvedServices.put(name, resolve(name, service, resolvedWorkspaces,
						(suffix, reason) -> new InvalidConfigurationException(ServicesFile.PROPERTY, file + " service '"
								+ name + "'" + (suffix.isEmpty() ? "" : " " + suffix.substring(1)) + ": " + reason)));
			});
		}
		this.servicesFile = properties.servicesFile();
		this.cloud = cloud;
		this.workspaces = Collections.unmodifiableMap(resolvedWorkspaces);
		this.services = Collections.unmodifiableMap(resolvedServices);
	}

	/**
	 * An error in a service's configuration, for checks made after the catalog's own,
	 * named where the operator configured the service.
	 * @param service a service of this catalog
	 * @param suffix its property, such as {@code .identity}
	 * @param reason what is wrong
	 * @return the error, naming {@code broker.services.<name><suffix>} or the services
	 * file
	 */
	public InvalidConfigurationException invalid(ServiceDescriptor service, String suffix, String reason) {
		String name = service.name().value();
		if (this.fromFile.contains(name)) {
			return new InvalidConfigurationException(ServicesFile.PROPERTY,
					this.servicesFile + " service '" + name + "' " + suffix.substring(1) + ": " + reason);
		}
		return new InvalidConfigurationException("broker.services." + name + suffix, reason);
	}

	/**
	 * Builds the error for a service's property: a suffix such as {@code .workspace} (or
	 * empty for the service itself) and the reason.
	 */
	private interface Invalid {

		InvalidConfigurationException of(String suffix, String reason);

	}

	private static ServiceDescriptor resolve(String name, CatalogProperties.Service service,
			Map<String, WorkspaceDescriptor> resolvedWorkspaces, Invalid invalid) {
		if (!ServiceName.isValid(name)) {
			throw invalid.of("",
					"service names are 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
		}
		if (service.workspace() == null || service.workspace().isBlank()) {
			throw invalid.of(".workspace", "is required");
		}
		WorkspaceDescriptor workspace = resolvedWorkspaces.get(service.workspace());
		if (workspace == null) {
			throw invalid.of(".workspace", "no workspace named '" + service.workspace() + "' under broker.workspaces");
		}
		String upstreamName = (service.upstreamName() != null) ? service.upstreamName() : name;
		require(".upstream-name", upstreamName, AZURE_ID, invalid);
		AuthMode authMode = (service.authMode() != null) ? service.authMode() : AuthMode.AUTO;
		if (authMode == AuthMode.AAD_TOKEN && service.kind() != ServiceKind.ONLINE_ENDPOINT) {
			throw invalid.of(".auth-mode", "aad-token exists only for online endpoints (kind: online-endpoint)");
		}
		String identity = (service.identity() != null) ? service.identity() : ServiceDescriptor.DEFAULT_IDENTITY;
		require(".identity", identity, IDENTITY_ALIAS, invalid);
		return new ServiceDescriptor(ServiceName.of(name), service.kind(), upstreamName, workspace, service.required(),
				authMode, identity);
	}

	private static WorkspaceDescriptor resolve(String alias, CatalogProperties.Workspace workspace, Cloud cloud) {
		String prefix = "broker.workspaces." + alias;
		require(prefix + ".subscription-id", workspace.subscriptionId(), AZURE_ID);
		require(prefix + ".resource-group", workspace.resourceGroup(), AZURE_ID);
		require(prefix + ".name", workspace.name(), AZURE_ID);
		require(prefix + ".region", workspace.region(), REGION);
		if (RESERVED_REGIONS.contains(workspace.region())) {
			// a region's breaker is named after it, and these names are other breakers'
			throw new InvalidConfigurationException(prefix + ".region",
					"'" + workspace.region() + "' is not an Azure region (it names Entra ID's circuit breaker)");
		}
		// A host named for the workspace wins over the cloud's (the simulator's loopback
		// hosts, a private link): the broker's token goes only to hosts of the chosen
		// cloud or to hosts named here.
		URI mmsHost = (workspace.mmsHost() != null) ? workspace.mmsHost()
				: cloud.modelManagementHost(workspace.region());
		URI armHost = (workspace.armHost() != null) ? workspace.armHost() : cloud.armHost();
		requireHttps(prefix + ".mms-host", mmsHost);
		requireHttps(prefix + ".arm-host", armHost);
		require(prefix + ".arm-api-version", workspace.armApiVersion(),
				Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?"));
		return new WorkspaceDescriptor(alias, workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
				workspace.region(), stripTrailingSlash(mmsHost), stripTrailingSlash(armHost),
				workspace.armApiVersion());
	}

	private static void require(String property, String value, Pattern pattern) {
		require("", value, pattern, (suffix, reason) -> new InvalidConfigurationException(property, reason));
	}

	private static void require(String suffix, String value, Pattern pattern, Invalid invalid) {
		if (value == null || value.isBlank()) {
			throw invalid.of(suffix, "is required");
		}
		if (!pattern.matcher(value).matches()) {
			throw invalid.of(suffix, "'" + value + "' does not match " + pattern.pattern());
		}
	}

	private static void requireHttps(String property, URI uri) {
		if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null
				|| uri.getRawFragment() != null) {
			throw new InvalidConfigurationException(property, "must be an https URL with a host and no query");
		}
	}

	private static URI stripTrailingSlash(URI uri) {
		String value = uri.toString();
		return value.endsWith("/") ? URI.create(value.substring(0, value.length() - 1)) : uri;
	}

	/**
	 * Look up a configured service.
	 * @param name a validated name
	 * @return the service, or empty when no service of that name is configured
	 */
	public Optional<ServiceDescriptor> find(ServiceName name) {
		return Optional.ofNullable(this.services.get(name.value()));
	}

	public Collection<ServiceDescriptor> services() {
		return this.services.values();
	}

	public Collection<WorkspaceDescriptor> workspaces() {
		return this.workspaces.values();
	}

	/**
	 * @return the Azure cloud of {@code broker.cloud}, whose endpoints apply where no
	 * property names others
	 */
	public Cloud cloud() {
		return this.cloud;
	}

}
