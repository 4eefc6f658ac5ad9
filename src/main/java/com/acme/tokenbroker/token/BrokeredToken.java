package com.acme.tokenbroker.token;

import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceName;

/**
 * A service credential as the broker caches and serves it: a workspace token, a key or an
 * Entra token, with the same freshness contract for each. {@link #toString()} never shows
 * the value.
 *
 * @param service the service it is for
 * @param tokenType the scheme, e.g. {@code Bearer}
 * @param value the token
 * @param refreshAfter when the upstream asked for a new one
 * @param expiresAt when it stops working
 * @param fetchedAt when the broker received it
 * @param credentialType what it is: {@code aml_token}, {@code key} or {@code aad_token}
 * @param scoringUri where the service scores, when its metadata says
 */
public record BrokeredToken(ServiceName service, String tokenType, String value, Instant refreshAfter,
		Instant expiresAt, Instant fetchedAt, String credentialType, String scoringUri) {

	/** The credential type of workspace-issued tokens, the default. */
	public static final String AML_TOKEN = "aml_token";

	public BrokeredToken(ServiceName service, String tokenType, String value, Instant refreshAfter, Instant expiresAt,
			Instant fetchedAt) {
		this(service, tokenType, value, refreshAfter, expiresAt, fetchedAt, AML_TOKEN, null);
	}

	@Override
	public String toString() {
		return "BrokeredToken[service=" + this.service + ", credentialType=" + this.credentialType + ", refreshAfter="
				+ this.refreshAfter + ", expiresAt=" + this.expiresAt + ", fetchedAt=" + this.fetchedAt + "]";
	}

}
