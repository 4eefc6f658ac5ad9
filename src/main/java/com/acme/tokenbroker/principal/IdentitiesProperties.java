package com.acme.tokenbroker.principal;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Further identities of the broker, bound from {@code broker.identities}, each with the
 * settings of {@code broker.identity}. A service uses one through
 * {@code broker.services.<name>.identity}; the identity of {@code broker.identity} is the
 * alias {@code default}. An Entra token handed to callers of an {@code aad-token} service
 * is its identity's, good for every endpoint that identity may score: services granted to
 * different callers need identities of their own.
 *
 * @param identities identities by alias ({@code [a-z0-9-]}, not {@code default})
 */
@ConfigurationProperties("broker")
public record IdentitiesProperties(Map<String, IdentityProperties> identities) {

	public IdentitiesProperties {
		identities = (identities != null) ? new LinkedHashMap<>(identities) : new LinkedHashMap<>();
	}

}
