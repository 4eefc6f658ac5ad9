package com.acme.tokenbroker.simulator;

/**
 * How callers authenticate to a simulated web service or online endpoint when scoring,
 * and so which credential operations its control plane answers
 * ({@code reference/azure-ml-auth.md} §3.4, §4).
 *
 * @see SimulatedWorkspaceBuilder#authMode(String, String, AuthMode)
 * @see SimulatedWorkspace#setAuthMode(String, String, AuthMode)
 */
public enum AuthMode {

	/**
	 * Service tokens from {@code POST .../token}: MMS {@code aadAuthEnabled: true}, ARM
	 * {@code authMode: AMLToken}. The default.
	 */
	AML_TOKEN("AMLToken"),

	/**
	 * A primary or secondary key from {@code listkeys} / {@code listKeys}: MMS
	 * {@code authEnabled: true}, ARM {@code authMode: Key}.
	 */
	KEY("Key"),

	/**
	 * An Entra access token for {@code https://ml.azure.com}: ARM
	 * {@code authMode: AADToken}. Online endpoints only; MMS v1 web services have no such
	 * mode.
	 */
	AAD_TOKEN("AADToken");

	private final String armValue;

	AuthMode(String armValue) {
		this.armValue = armValue;
	}

	/**
	 * The ARM {@code EndpointAuthMode} value.
	 */
	String armValue() {
		return this.armValue;
	}

}
