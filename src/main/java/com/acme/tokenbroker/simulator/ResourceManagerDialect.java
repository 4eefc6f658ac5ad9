package com.acme.tokenbroker.simulator;

import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ARM v2, the Azure Resource Manager API of managed online endpoints
 * ({@code reference/azure-ml-auth.md} §4):
 * {@code /subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name}?api-version=...}
 * with {@code /token} (200), {@code /listKeys} and {@code /regenerateKeys} (202 with
 * {@code Location}, {@code Azure-AsyncOperation} and {@code Retry-After}, polled under
 * {@code .../locations/{region}/}). Errors are ARM {@code ErrorResponse}s, answers carry
 * correlation ids and the remaining request budget.
 */
record ResourceManagerDialect(ControlPlaneParts parts) implements ControlPlaneDialect {

	/** {@code Retry-After} on ARM 202 answers: the contract's minimum (10–600 s). */
	static final int RETRY_AFTER_SECONDS = 10;

	private static final Pattern SERVICE_PATH = Pattern.compile("^/subscriptions/([^/]+)/resourceGroups/([^/]+)"
			+ "/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)/onlineEndpoints/([^/]+)"
			+ "(?:/(token|listKeys|regenerateKeys))?$", Pattern.CASE_INSENSITIVE);

	private static final Pattern OPERATION_PATH = Pattern
		.compile("^/subscriptions/([^/]+)" + "/providers/Microsoft\\.MachineLearningServices/locations/([^/]+)"
				+ "/(mfeOperationResults|mfeOperationsStatus)/([^/]+)$", Pattern.CASE_INSENSITIVE);

	private static final Pattern API_VERSION = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}(-preview)?$");

	private static final ErrorCodes CODES = new ErrorCodes("ResourceNotFound", "HttpMethodNotSupported",
			"NoRegisteredProviderFound", "AuthorizationFailed");

	private static final DialectSpec SPEC = new DialectSpec(SERVICE_PATH, OPERATION_PATH, Operation.ARM_GET_ENDPOINT,
			Map.of("token", Operation.ARM_TOKEN, "listkeys", Operation.ARM_LIST_KEYS, "regeneratekeys",
					Operation.ARM_REGENERATE_KEYS),
			Operation.ARM_GET_OPERATION, Directory.Workspace::onlineEndpoints, CODES);

	@Override
	public DialectSpec spec() {
		return SPEC;
	}

	@Override
	public SimResponse checkRequest(SimRequest request) {
		String apiVersion = request.queryParameters().get("api-version");
		if (apiVersion == null || apiVersion.isEmpty()) {
			return error(400, "MissingApiVersionParameter",
					"The api-version query parameter (?api-version=) is required for all requests.");
		}
		if (!API_VERSION.matcher(apiVersion).matches()) {
			return error(400, "InvalidApiVersionParameter", "The api-version '" + apiVersion + "' is invalid.");
		}
		return null;
	}

	/**
	 * ARM common-types {@code ErrorResponse {error: {code, message}}}.
	 */
	@Override
	public SimResponse error(int status, String code, String message) {
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("code", code);
		error.put("message", message);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("error", error);
		return withRequestIds(SimResponse.json(status, body), null);
	}

	@Override
	public SimResponse withRequestIds(SimResponse response, String budget) {
		String requestId = UUID.randomUUID().toString();
		SimResponse result = response.withHeader("x-ms-request-id", requestId)
			.withHeader("x-ms-correlation-request-id", requestId);
		if (budget != null) {
			result = result.withHeader("x-ms-ratelimit-remaining-subscription-" + budget,
					"reads".equals(budget) ? "249" : "199");
		}
		return result;
	}

	@Override
	public SimResponse serviceNotFound(String workspace, String resourceGroup, String service) {
		return error(404, "ResourceNotFound", "The Resource 'Microsoft.MachineLearningServices/workspaces/" + workspace
				+ "/onlineEndpoints/" + service + "' under resource group '" + resourceGroup + "' was not found.");
	}

	@Override
	public SimResponse unauthorized(String reason) {
		return error(401, "InvalidAuthenticationToken", "The access token is invalid: " + reason + ".");
	}

	@Override
	public SimResponse wrongMode(Directory.Service service, AuthMode needed) {
		return error(400, "BadRequest", "Online endpoint '" + service.name() + "' has authMode '"
				+ service.auth().mode().armValue() + "'; this operation needs authMode '" + needed.armValue() + "'.");
	}

	@Override
	public SimResponse token(ServiceTokens.Issued issued, Fault fault) {
		return withRequestIds(
				SimResponse.json(200,
						ControlPlaneDialect.tokenBody(issued, "expiryTimeUtc", "refreshAfterTimeUtc", fault)),
				"writes");
	}

	@Override
	public SimResponse regenerated(Directory.Service service, Fault fault) {
		return withRequestIds(SimResponse.empty(200), "writes");
	}

	@Override
	public SimResponse accepted(SimRequest request, Directory.Workspace workspace, String operationId) {
		String apiVersion = request.queryParameters().get("api-version");
		return withRequestIds(SimResponse.empty(202), "writes")
			.withHeader("Location", operationUrl(workspace, "mfeOperationResults", operationId, apiVersion))
			.withHeader("Azure-AsyncOperation", operationUrl(workspace, "mfeOperationsStatus", operationId, apiVersion))
			.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
	}

	/**
	 * {@code mfeOperationsStatus}: the {@code Azure-AsyncOperation} status document;
	 * {@code mfeOperationResults}: 202 while running, then 200, or the failure.
	 */
	@Override
	public SimResponse poll(SimRequest request) {
		Matcher path = OPERATION_PATH.matcher(request.path());
		if (!path.matches()) {
			return ControlPlaneGate.unknown(this, request);
		}
		ControlPlaneGate.Caller caller = this.parts.gate().caller(this, request);
		if (caller.rejection() != null) {
			return caller.rejection();
		}
		String id = path.group(4);
		RegenerationOperation operation = this.parts.operations().find(id, this);
		if (operation == null || !path.group(2).equalsIgnoreCase(this.parts.region().region())
				|| !operation.workspace().subscriptionId().equalsIgnoreCase(path.group(1))) {
			return error(404, "ResourceNotFound", "The operation '" + id + "' was not found.");
		}
		Directory.Workspace workspace = operation.workspace();
		SimResponse forbidden = this.parts.gate()
			.forbiddenUnlessAllowed(this, caller.clientId(), workspace, Operation.ARM_GET_OPERATION);
		if (forbidden != null) {
			return forbidden;
		}
		RegenerationOperation.Snapshot snapshot = this.parts.operations().poll(operation);
		if ("mfeoperationsstatus".equals(path.group(3).toLowerCase(Locale.ROOT))) {
			return status(request, operation, snapshot);
		}
		return switch (snapshot.state()) {
			case RUNNING -> withRequestIds(SimResponse.empty(202), "reads")
				.withHeader("Location",
						operationUrl(workspace, "mfeOperationResults", operation.id(),
								request.queryParameters().get("api-version")))
				.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
			case SUCCEEDED -> withRequestIds(SimResponse.empty(200), "reads");
			case FAILED -> RegenerationOperations.failed(this, operation.service());
		};
	}

	private SimResponse status(SimRequest request, RegenerationOperation operation,
			RegenerationOperation.Snapshot snapshot) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", request.path());
		body.put("name", operation.id());
		body.put("status", snapshot.state().armName());
		body.put("startTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.createdAt()));
		if (snapshot.endedAt() != null) {
			body.put("endTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.endedAt()));
		}
		if (snapshot.state() == RegenerationOperation.State.FAILED) {
			body.put("error", Map.of("code", "InternalServerError", "message",
					RegenerationOperations.failure(operation.service())));
		}
		SimResponse response = withRequestIds(SimResponse.json(200, body), "reads");
		return (snapshot.state() == RegenerationOperation.State.RUNNING)
				? response.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)) : response;
	}

	private String operationUrl(Directory.Workspace workspace, String kind, String id, String apiVersion) {
		return this.parts.region().baseUrl() + "/subscriptions/" + workspace.subscriptionId()
				+ "/providers/Microsoft.MachineLearningServices/locations/" + this.parts.region().region() + "/" + kind
				+ "/" + id + "?api-version=" + apiVersion;
	}

	@Override
	public String toString() {
		return "ARM v2";
	}

}
