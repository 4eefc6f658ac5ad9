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

	/**
	 * {@code GET /msi/token} on the Entra listener: the App Service managed-identity
	 * protocol ({@code 2019-08-01}), what azure-identity calls when
	 * {@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER} are set.
	 */
	MANAGED_IDENTITY_TOKEN,

	/** {@code GET /{tenant}/discovery/v2.0/keys}: the tenant's JWKS. */
	ENTRA_KEYS,

	/** {@code GET /{tenant}/v2.0/.well-known/openid-configuration}. */
	ENTRA_DISCOVERY,

	/** {@code GET /cluster/openid/v1/jwks}: the simulated AKS OIDC issuer's keys. */
	CLUSTER_KEYS,

	/** {@code GET /cluster/.well-known/openid-configuration}. */
	CLUSTER_DISCOVERY,

	/**
	 * MMS v1 {@code POST .../services/{name}/token} ({@code Services_GetServiceToken}).
	 */
	MMS_TOKEN,

	/** MMS v1 {@code GET .../services/{name}} ({@code Services_QueryById}). */
	MMS_GET_SERVICE,

	/**
	 * ARM v2 {@code POST .../onlineEndpoints/{name}/token}
	 * ({@code OnlineEndpoints_GetToken}).
	 */
	ARM_TOKEN,

	/** ARM v2 {@code GET .../onlineEndpoints/{name}} ({@code OnlineEndpoints_Get}). */
	ARM_GET_ENDPOINT,

	/**
	 * MMS v1 {@code POST .../services/{name}/listkeys}
	 * ({@code Services_ListServiceKeys}).
	 */
	MMS_LIST_KEYS,

	/**
	 * MMS v1 {@code POST .../services/{name}/regenerateKeys}
	 * ({@code Services_RegenerateServiceKeys}).
	 */
	MMS_REGENERATE_KEYS,

	/**
	 * MMS v1 {@code GET {mmsBase}/operations/{id}} ({@code Operations_Get}): polls a key
	 * regeneration.
	 */
	MMS_GET_OPERATION,

	/**
	 * ARM v2 {@code POST .../onlineEndpoints/{name}/listKeys}
	 * ({@code OnlineEndpoints_ListKeys}).
	 */
	ARM_LIST_KEYS,

	/**
	 * ARM v2 {@code POST .../onlineEndpoints/{name}/regenerateKeys}
	 * ({@code OnlineEndpoints_RegenerateKeys}).
	 */
	ARM_REGENERATE_KEYS,

	/**
	 * ARM v2 {@code GET .../locations/{region}/mfeOperationResults/{id}} (the
	 * {@code Location} of a key regeneration) or {@code .../mfeOperationsStatus/{id}}
	 * (its {@code Azure-AsyncOperation}).
	 */
	ARM_GET_OPERATION,

	/**
	 * {@code POST /score/{workspace}/{service}} on a region's listener: the data plane.
	 * Counted, but neither recorded in {@link SimulatedWorkspace#exchanges()} nor subject
	 * to the region's fault switch (only to its own per-operation switch, and to
	 * {@code DOWN}, which closes the port).
	 */
	SCORE,

	/** Anything else: answered 404 or 405 in the API's error shape. */
	UNKNOWN

}
