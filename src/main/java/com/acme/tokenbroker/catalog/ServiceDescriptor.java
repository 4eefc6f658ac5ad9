package com.acme.tokenbroker.catalog;

/**
 * A configured service, the only kind of thing that can reach an upstream URL.
 *
 * @param name the name callers use
 * @param kind the upstream API
 * @param upstreamName the name in Azure
 * @param workspace the workspace it lives in
 * @param required whether readiness depends on it
 * @param authMode the configured auth mode, {@link AuthMode#AUTO} to discover it
 * @param identity the alias of the broker identity used for this service
 * ({@link #DEFAULT_IDENTITY} unless configured)
 */
public record ServiceDescriptor(ServiceName name, ServiceKind kind, String upstreamName, WorkspaceDescriptor workspace,
		boolean required, AuthMode authMode, String identity) {

	/** The alias of the identity configured under {@code broker.identity}. */
	public static final String DEFAULT_IDENTITY = "default";

	public ServiceDescriptor(ServiceName name, ServiceKind kind, String upstreamName, WorkspaceDescriptor workspace,
			boolean required, AuthMode authMode) {
		this(name, kind, upstreamName, workspace, required, authMode, DEFAULT_IDENTITY);
	}

	/**
	 * @return whether callers of this service may be handed an Entra ID token of its
	 * identity: an online endpoint configured for {@code aad-token}, or one whose mode is
	 * discovered and may turn out to be {@code aad_token}
	 */
	public boolean mayServeEntraToken() {
		return this.kind == ServiceKind.ONLINE_ENDPOINT
				&& (this.authMode == AuthMode.AAD_TOKEN || this.authMode == AuthMode.AUTO);
	}

	public String region() {
		return this.workspace.region();
	}

}
