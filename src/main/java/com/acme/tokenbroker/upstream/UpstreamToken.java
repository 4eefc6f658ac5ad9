package com.acme.tokenbroker.upstream;

import java.time.Instant;

/**
 * A validated token as the upstream returned it: the refresh time is not after the
 * expiry, and the expiry is in the future. {@link #toString()} never shows the value.
 *
 * @param value the token
 * @param tokenType the scheme, e.g. {@code Bearer}
 * @param refreshAfter when the upstream asks for a new token
 * @param expiresAt when the token stops working: the upstream's expiry, or the JWT's
 * {@code exp} if that is earlier
 */
public record UpstreamToken(String value, String tokenType, Instant refreshAfter, Instant expiresAt) {

	@Override
	public String toString() {
		return "UpstreamToken[type=" + this.tokenType + ", refreshAfter=" + this.refreshAfter + ", expiresAt="
				+ this.expiresAt + "]";
	}

}
