package com.acme.tokenbroker.principal;

/**
 * The broker's own Entra ID token for the Azure ML data plane
 * ({@code https://ml.azure.com/.default}), handed to callers of services in
 * {@code aad_token} mode. A separate type from {@link PrincipalCredential}, whose token
 * is for Azure Resource Manager and model management and never leaves the broker.
 */
public final class DataPlaneCredential {

	private final EntraPrincipalCredential credential;

	DataPlaneCredential(EntraPrincipalCredential credential) {
		this.credential = credential;
	}

	/**
	 * A new data-plane token from Entra ID, acquired now: the broker's token cache
	 * refreshes it at half-life and keeps serving the one it holds while Entra ID is
	 * down, which a kept token handed back here would defeat.
	 * @return the token
	 * @throws PrincipalUnavailableException when Entra ID gives no token now
	 */
	public PrincipalCredential.PrincipalToken token() {
		return this.credential.freshToken();
	}

}
