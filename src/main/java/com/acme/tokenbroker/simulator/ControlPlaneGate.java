package com.acme.tokenbroker.simulator;

/**
 * The checks every control-plane call passes, whatever its API: an Entra bearer for Azure
 * Resource Manager, a workspace of this region, a role on it. Refusals come in the API's
 * own shape.
 */
final class ControlPlaneGate {

	private final RegionContext region;

	ControlPlaneGate(RegionContext region) {
		this.region = region;
	}

	/**
	 * The workspace a call addresses, once its caller is authenticated and holds a role
	 * on it, or the answer that refuses the call.
	 */
	Admission admit(ControlPlaneDialect dialect, SimRequest request, String subscriptionId, String resourceGroup,
			String workspaceName, Operation operation) {
		Caller caller = caller(dialect, request);
		if (caller.rejection() != null) {
			return new Admission(null, caller.rejection());
		}
		Directory.Workspace workspace = workspace(workspaceName, subscriptionId, resourceGroup);
		if (workspace == null) {
			return new Admission(null,
					dialect.error(404, dialect.codes().notFound(),
							"The Resource 'Microsoft.MachineLearningServices/workspaces/" + workspaceName
									+ "' under resource group '" + resourceGroup + "' was not found."));
		}
		return new Admission(workspace, forbiddenUnlessAllowed(dialect, caller.clientId(), workspace, operation));
	}

	/**
	 * The calling application's client id, or the answer that rejects the call.
	 */
	Caller caller(ControlPlaneDialect dialect, SimRequest request) {
		String clientId;
		try {
			clientId = this.region.entra().verifyManagementToken(bearer(request));
		}
		catch (Jwts.InvalidTokenException ex) {
			return new Caller(null,
					dialect.unauthorized(ex.getMessage())
						.withHeader("WWW-Authenticate", "Bearer authorization_uri=\"" + this.region.entra().baseUrl()
								+ "/" + this.region.directory().tenantId()
								+ "\", error=\"invalid_token\", error_description=\"" + ex.getMessage() + "\""));
		}
		return new Caller(clientId, dialect.checkRequest(request));
	}

	/**
	 * The 403 answer when the caller has no role on the workspace, else {@code null}.
	 */
	SimResponse forbiddenUnlessAllowed(ControlPlaneDialect dialect, String clientId, Directory.Workspace workspace,
			Operation operation) {
		if (this.region.directory().hasTokenAccess(clientId, workspace.name())) {
			return null;
		}
		Principal principal = this.region.directory().principal(clientId);
		String objectId = (principal != null) ? principal.objectId() : "unknown";
		String message = "The client '" + clientId + "' with object id '" + objectId
				+ "' does not have authorization to perform action '" + action(operation) + "' over scope '"
				+ workspace.armId() + "' or the scope is invalid.";
		return dialect.error(403, dialect.codes().forbidden(), message);
	}

	/**
	 * The answer to a request no operation matches: 405 with {@code Allow} on a known
	 * path (a scoring path too, answered in ARM's shape), else 404.
	 */
	static SimResponse unknown(ControlPlaneDialect dialect, SimRequest request) {
		String path = request.path();
		String allow = null;
		if (isKnown(dialect.classify("GET", path))) {
			allow = "GET";
		}
		else if (isKnown(dialect.classify("POST", path)) || Scoring.isScoringPath(path)) {
			allow = "POST";
		}
		if (allow != null) {
			return dialect
				.error(405, dialect.codes().methodNotAllowed(),
						"The HTTP method '" + request.method() + "' is not supported for this path.")
				.withHeader("Allow", allow);
		}
		return dialect.error(404, dialect.codes().noRoute(), "No route matches the request path.");
	}

	/**
	 * Whether a workspace of this region has the name, subscription and resource group.
	 */
	Directory.Workspace workspace(String name, String subscriptionId, String resourceGroup) {
		Directory.Workspace workspace = this.region.directory().workspace(name);
		if (workspace == null || !workspace.region().equals(this.region.region())
				|| !workspace.subscriptionId().equalsIgnoreCase(subscriptionId)
				|| !workspace.resourceGroup().equalsIgnoreCase(resourceGroup)) {
			return null;
		}
		return workspace;
	}

	static String bearerOrNull(SimRequest request) {
		String authorization = request.header("authorization");
		if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			return null;
		}
		return authorization.substring(7).trim();
	}

	/**
	 * The status code's name in error bodies, for simulated errors.
	 */
	static String errorCode(int status) {
		return switch (status) {
			case 500 -> "InternalServerError";
			case 502 -> "BadGateway";
			case 503 -> "ServiceUnavailable";
			case 504 -> "GatewayTimeout";
			case 400 -> "BadRequest";
			case 401 -> "Unauthorized";
			case 403 -> "Forbidden";
			case 404 -> "NotFound";
			case 409 -> "Conflict";
			default -> "Error" + status;
		};
	}

	private static boolean isKnown(Operation operation) {
		return operation != null && operation != Operation.UNKNOWN;
	}

	private static String bearer(SimRequest request) {
		String credential = bearerOrNull(request);
		if (credential == null) {
			throw new Jwts.InvalidTokenException("missing bearer token");
		}
		return credential;
	}

	private static String action(Operation operation) {
		return switch (operation) {
			case MMS_TOKEN -> "Microsoft.MachineLearningServices/workspaces/services/aks/token/action";
			case MMS_GET_SERVICE -> "Microsoft.MachineLearningServices/workspaces/services/aks/read";
			case MMS_LIST_KEYS -> "Microsoft.MachineLearningServices/workspaces/services/aks/listkeys/action";
			case MMS_REGENERATE_KEYS ->
				"Microsoft.MachineLearningServices/workspaces/services/aks/regeneratekeys/action";
			case MMS_GET_OPERATION -> "Microsoft.MachineLearningServices/workspaces/read";
			case ARM_TOKEN -> "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action";
			case ARM_LIST_KEYS -> "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action";
			case ARM_REGENERATE_KEYS ->
				"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action";
			case ARM_GET_OPERATION -> "Microsoft.MachineLearningServices/locations/mfeOperationResults/read";
			default -> "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read";
		};
	}

	/**
	 * The authenticated caller's client id, or the answer that rejects the call.
	 */
	record Caller(String clientId, SimResponse rejection) {
	}

	/**
	 * The workspace a call may use, or the answer that refuses it.
	 */
	record Admission(Directory.Workspace workspace, SimResponse refusal) {
	}

}
