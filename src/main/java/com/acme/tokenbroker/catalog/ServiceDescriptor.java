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
 */
public record ServiceDescriptor(ServiceName name, ServiceKind kind, String upstreamName, WorkspaceDescriptor workspace,
		boolean required, AuthMode authMode) {

	public String region() {
		return this.workspace.region();
	}

}
