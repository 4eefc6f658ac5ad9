package com.acme.tokenbroker.principal;

/**
 * The broker's own bearer token for model management (v1) and Azure Resource Manager (v2)
 * calls. Implementations cache and refresh it; callers ask for it on every upstream call.
 */
public interface PrincipalCredential {

	/**
	 * The current bearer token value for the configured scope.
	 * @return the token, never {@code null}
	 * @throws PrincipalUnavailableException when no valid token can be had
	 */
	String bearerToken();

	/**
	 * A token of the broker's own identity. {@link #toString()} never shows the value.
	 *
	 * @param value the token
	 * @param expiresAt when it expires
	 * @param refreshAt when the broker refreshes it
	 */
	record PrincipalToken(String value, java.time.Instant expiresAt, java.time.Instant refreshAt) {

		@Override
		public String toString() {
			return "PrincipalToken[expiresAt=" + this.expiresAt + "]";
		}

	}

	/**
	 * Refresh the token now if its refresh time has passed, so that upstream calls rarely
	 * wait for a sign-in. Never throws: a failure is retried on the next call.
	 */
	default void refreshIfDue() {
	}

}
