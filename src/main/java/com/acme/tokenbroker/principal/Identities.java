package com.acme.tokenbroker.principal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The broker's identities by alias: {@code default} for {@code broker.identity}, and
 * those of {@code broker.identities}. Each service uses exactly one
 * ({@code broker.services.<name>.identity}), for its upstream calls and, in
 * {@code aad-token} mode, for the Entra token its callers receive; no identity is used
 * for a service that does not name it.
 */
public final class Identities {

	private final Map<String, Identity> identities;

	Identities(Map<String, Identity> identities) {
		this.identities = Collections.unmodifiableMap(new LinkedHashMap<>(identities));
	}

	/**
	 * @param alias an identity alias
	 * @return its credential for model management and ARM calls
	 * @throws IllegalArgumentException for an alias that is not configured (the boot
	 * checks every service's)
	 */
	public PrincipalCredential principal(String alias) {
		return identity(alias).principal();
	}

	/**
	 * @param alias an identity alias
	 * @return its credential for the Azure ML data plane, handed to callers of its
	 * {@code aad-token} services
	 * @throws IllegalArgumentException for an alias that is not configured
	 */
	public DataPlaneCredential dataPlane(String alias) {
		return identity(alias).dataPlane();
	}

	/**
	 * @return the configured aliases, in configuration order
	 */
	public Set<String> aliases() {
		return this.identities.keySet();
	}

	/**
	 * Sign every identity in to Entra ID unless it holds a token, as its first upstream
	 * call would (at start, so that the first caller does not wait for it). Each identity
	 * is tried once.
	 * @throws PrincipalUnavailableException the first identity's failure, once all were
	 * tried
	 */
	public void signIn() {
		PrincipalUnavailableException failed = null;
		for (Identity identity : this.identities.values()) {
			try {
				identity.principal().bearerToken();
			}
			catch (PrincipalUnavailableException ex) {
				failed = (failed != null) ? failed : ex;
			}
		}
		if (failed != null) {
			throw failed;
		}
	}

	/** Refresh every identity's own token whose refresh time has passed; never throws. */
	public void refreshIfDue() {
		this.identities.values().forEach((identity) -> identity.principal().refreshIfDue());
	}

	private Identity identity(String alias) {
		Identity identity = this.identities.get(alias);
		if (identity == null) {
			throw new IllegalArgumentException("No broker identity '" + alias + "'");
		}
		return identity;
	}

	record Identity(PrincipalCredential principal, DataPlaneCredential dataPlane) {
	}

}
