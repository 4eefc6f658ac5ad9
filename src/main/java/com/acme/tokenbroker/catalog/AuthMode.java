package com.acme.tokenbroker.catalog;

import java.util.Locale;

/**
 * How a service authenticates its callers, and so which credential the broker hands out.
 */
public enum AuthMode {

	/**
	 * Discover from the service's metadata: v1
	 * {@code aadAuthEnabled}/{@code authEnabled}, v2 {@code authMode}.
	 */
	AUTO,

	/**
	 * A token from the workspace: v1 web services with token auth, v2 endpoints in
	 * {@code AMLToken} mode.
	 */
	AML_TOKEN,

	/** The service's primary or secondary key. */
	KEY,

	/**
	 * An Entra ID token for {@code https://ml.azure.com} from the broker's own identity
	 * (v2 {@code AADToken}).
	 */
	AAD_TOKEN;

	/** One string per mode, shared by every token of the mode. */
	private final String credentialType = name().toLowerCase(Locale.ROOT);

	/**
	 * @return the credential type callers see: {@code aml_token}, {@code key},
	 * {@code aad_token}
	 */
	public String credentialType() {
		return this.credentialType;
	}

}
