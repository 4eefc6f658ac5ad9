package com.acme.tokenbroker.simulator;

/**
 * The operations the {@link SimulatedWorkspace} tells apart when it counts and records
 * calls.
 *
 * @see SimulatedWorkspace#callCount(String, Operation)
 * @see RecordedExchange#operation()
 */
public enum Operation {

	/** {@code POST /{tenant}/oauth2/v2.0/token} on the Entra listener. */
	ENTRA_TOKEN,

	/** {@code GET /{tenant}/discovery/v2.0/keys}: the tenant's JWKS. */
	ENTRA_KEYS,

	/** {@code GET /{tenant}/v2.0/.well-known/openid-configuration}. */
	ENTRA_DISCOVERY,

	/** {@code GET /cluster/openid/v1/jwks}: the simulated AKS OIDC issuer's keys. */
	CLUSTER_KEYS,

	/** {@code GET /cluster/.well-known/openid-configuration}. */
	CLUSTER_DISCOVERY,

	/** MMS v1 {@code POST .../services/{name}/token} ({@code Services_GetServiceToken}). */
	MMS_TOKEN,

	/** MMS v1 {@code GET .../services/{name}} ({@code Services_QueryById}). */
	MMS_GET_SERVICE,

	/** ARM v2 {@code POST .../onlineEndpoints/{name}/token} ({@code OnlineEndpoints_GetToken}). */
	ARM_TOKEN,

	/** ARM v2 {@code GET .../onlineEndpoints/{name}} ({@code OnlineEndpoints_Get}). */
	ARM_GET_ENDPOINT,

	/** Anything else: answered 404 or 405 in the API's error shape. */
	UNKNOWN

}
