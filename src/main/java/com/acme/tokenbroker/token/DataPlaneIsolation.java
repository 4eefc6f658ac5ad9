package com.acme.tokenbroker.token;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.upstream.UpstreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an Entra token from reaching a caller that is not granted every service it opens.
 * The token handed to callers of an {@code aad_token} service is its identity's
 * ({@code broker.services.<name>.identity}), accepted by every endpoint that identity may
 * score; so the services that may serve one identity's Entra token must be granted by
 * exactly the same rules. Checked at start: a service configured {@code aad-token} that
 * shares its identity with a service granted otherwise stops the boot; a service whose
 * mode is discovered ({@code auto}) in such a group is logged, and refused once its
 * metadata says {@code aad_token}.
 */
final class DataPlaneIsolation {

	private static final Logger logger = LoggerFactory.getLogger(DataPlaneIsolation.class);

	static final DataPlaneIsolation NONE = new DataPlaneIsolation(Map.of());

	private final Map<ServiceName, String> shared;

	private DataPlaneIsolation(Map<ServiceName, String> shared) {
		this.shared = Map.copyOf(shared);
	}

	/**
	 * @param catalog the configured services
	 * @param policy the access rules
	 * @return the check
	 * @throws InvalidConfigurationException when an {@code aad-token} service shares its
	 * identity with a service granted to other callers
	 */
	static DataPlaneIsolation check(ServiceCatalog catalog, AccessPolicy policy) {
		Map<String, List<ServiceDescriptor>> byIdentity = new LinkedHashMap<>();
		for (ServiceDescriptor service : catalog.services()) {
			if (service.mayServeEntraToken()) {
				byIdentity.computeIfAbsent(service.identity(), (identity) -> new ArrayList<>()).add(service);
			}
		}
		Map<ServiceName, String> shared = new LinkedHashMap<>();
		byIdentity.forEach((identity, services) -> {
			Map<ServiceName, List<String>> grants = new LinkedHashMap<>();
			services.forEach((service) -> grants.put(service.name(), policy.rulesGranting(service.name())));
			if (grants.values().stream().distinct().count() <= 1) {
				return;
			}
			String message = "services " + names(services) + " may hand out the Entra ID token of identity '" + identity
					+ "' but are not granted by the same rules ("
					+ grants.entrySet()
						.stream()
						.map((entry) -> entry.getKey() + ": "
								+ (entry.getValue().isEmpty() ? "none" : entry.getValue()))
						.collect(Collectors.joining("; "))
					+ "); a caller granted one would get a token for the others: give services granted to different "
					+ "callers identities of their own (broker.services.<name>.identity, broker.identities.<alias>)";
			ServiceDescriptor configured = services.stream()
				.filter((service) -> service.authMode() == AuthMode.AAD_TOKEN)
				.findFirst()
				.orElse(null);
			if (configured != null) {
				throw catalog.invalid(configured, ".identity", message);
			}
			logger.warn("Access check: {}; they are refused if their metadata says aad_token", message);
			services.forEach((service) -> shared.put(service.name(), message));
		});
		return new DataPlaneIsolation(shared);
	}

	private static String names(List<ServiceDescriptor> services) {
		return services.stream().map((service) -> "'" + service.name() + "'").collect(Collectors.joining(", "));
	}

	/**
	 * @param service a service whose credential is an Entra token of its identity
	 * @throws UpstreamException when callers of other services would get the same token
	 */
	void requireIsolated(ServiceDescriptor service) {
		String message = this.shared.get(Objects.requireNonNull(service.name()));
		if (message != null) {
			throw new UpstreamException(UpstreamException.Kind.REJECTED_REQUEST, 0, null,
					"Service '" + service.name() + "' uses aad_token, refused: " + message);
		}
	}

}
