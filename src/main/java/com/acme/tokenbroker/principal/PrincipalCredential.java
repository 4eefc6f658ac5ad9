package com.acme.tokenbroker.principal;

/**
 * The broker's own bearer token for model management (v1) and Azure Resource Manager (v2) calls.
 * Implementations cache and refresh it; callers ask for it on every upstream call.
 */
public interface PrincipalCredential {

	/**
	 * The current bearer token value for the configured scope.
	 * @return the token, never {@code null}
	 * @throws PrincipalUnavailableException when no valid token can be had
	 */
	String bearerToken();

	/**
	 * Refresh the token now if its refresh time has passed, so that upstream calls rarely wait for a sign-in. Never
	 * throws: a failure is retried on the next call.
	 */
	default void refreshIfDue() {
	}

}
