package com.acme.tokenbroker.token;

import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceName;

/**
 * A service credential as the broker caches and serves it. {@link #toString()} never shows the value.
 *
 * @param service the service it is for
 * @param tokenType the scheme, e.g. {@code Bearer}
 * @param value the token
 * @param refreshAfter when the upstream asked for a new one
 * @param expiresAt when it stops working
 * @param fetchedAt when the broker received it
 */
public record BrokeredToken(ServiceName service, String tokenType, String value, Instant refreshAfter,
		Instant expiresAt, Instant fetchedAt) {

	@Override
	public String toString() {
		return "BrokeredToken[service=" + this.service + ", type=" + this.tokenType + ", refreshAfter="
				+ this.refreshAfter + ", expiresAt=" + this.expiresAt + ", fetchedAt=" + this.fetchedAt + "]";
	}

}
