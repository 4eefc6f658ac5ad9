package com.acme.tokenbroker.simulator;

import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MMS v1, the model management API of AKS web services
 * ({@code reference/azure-ml-auth.md} §3):
 * {@code /modelmanagement/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.MachineLearningServices/workspaces/{ws}/services/{name}} with {@code /token}
 * (201), {@code /listkeys} and {@code /regenerateKeys} (202 and
 * {@code Operation-Location}, polled at {@code .../workspaces/{ws}/operations/{id}}).
 * Errors are {@code ModelErrorResponse}s.
 */
record ModelManagementDialect(ControlPlaneParts parts) implements ControlPlaneDialect {

	private static final String WORKSPACE = "^/modelmanagement/v1\\.0/subscriptions/([^/]+)"
			+ "/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)";

	/**
	 * Group 5: the action, matched case-insensitively (the SDK spells {@code listkeys} in
	 * lower case).
	 */
	private static final Pattern SERVICE_PATH = Pattern
		.compile(WORKSPACE + "/services/([^/]+)(?:/((?i:token|listkeys|regeneratekeys)))?$");

	private static final Pattern OPERATION_PATH = Pattern.compile(WORKSPACE + "/operations/([^/]+)$");

	private static final ErrorCodes CODES = new ErrorCodes("NotFound", "MethodNotAllowed", "NotFound", "Forbidden");

	private static final DialectSpec SPEC = new DialectSpec(SERVICE_PATH, OPERATION_PATH, Operation.MMS_GET_SERVICE,
			Map.of("token", Operation.MMS_TOKEN, "listkeys", Operation.MMS_LIST_KEYS, "regeneratekeys",
					Operation.MMS_REGENERATE_KEYS),
			Operation.MMS_GET_OPERATION, Directory.Workspace::webservices, CODES);

	private static final String OPERATION_TYPE = "RegenerateServiceKeys";

	@Override
	public DialectSpec spec() {
		return SPEC;
	}

	/**
	 * {@code ModelErrorResponse {code, statusCode, message, details[]}}.
	 */
	@Override
	public SimResponse error(int status, String code, String message) {
		return withRequestIds(SimResponse.json(status, errorBody(status, code, message)), null);
	}

	@Override
	public SimResponse withRequestIds(SimResponse response, String budget) {
		return response.withHeader("x-ms-request-id", UUID.randomUUID().toString());
	}

	@Override
	public SimResponse serviceNotFound(String workspace, String resourceGroup, String service) {
		return error(404, "NotFound", "No service with name " + service + " found in workspace " + workspace + ".");
	}

	@Override
	public SimResponse unauthorized(String reason) {
		return error(401, "Unauthorized", "Authentication failed: " + reason + ".");
	}

	@Override
	public SimResponse wrongMode(Directory.Service service, AuthMode needed) {
		return error(400, "BadRequest", ((needed == AuthMode.KEY) ? "Key" : "Token")
				+ " authentication is not enabled for service " + service.name() + ".");
	}

	@Override
	public SimResponse token(ServiceTokens.Issued issued, Fault fault) {
		return withRequestIds(
				SimResponse.json(201, ControlPlaneDialect.tokenBody(issued, "expiryOn", "refreshAfter", fault)),
				"writes");
	}

	@Override
	public SimResponse regenerated(Directory.Service service, Fault fault) {
		return withRequestIds(SimResponse.json(200, ControlPlaneDialect.keysBody(service.auth().keys(), fault)),
				"writes");
	}

	@Override
	public SimResponse accepted(SimRequest request, Directory.Workspace workspace, String operationId) {
		return withRequestIds(SimResponse.empty(202), "writes").withHeader("Operation-Location",
				this.parts.region().baseUrl() + "/modelmanagement/v1.0" + workspace.armId() + "/operations/"
						+ operationId);
	}

	/**
	 * {@code Operations_Get}: an {@code AsyncOperationStatus} with the operation's state.
	 */
	@Override
	public SimResponse poll(SimRequest request) {
		Matcher path = OPERATION_PATH.matcher(request.path());
		if (!path.matches()) {
			return ControlPlaneGate.unknown(this, request);
		}
		ControlPlaneGate.Admission admission = this.parts.gate()
			.admit(this, request, path.group(1), path.group(2), path.group(3), Operation.MMS_GET_OPERATION);
		if (admission.refusal() != null) {
			return admission.refusal();
		}
		Directory.Workspace workspace = admission.workspace();
		String id = path.group(4);
		RegenerationOperation operation = this.parts.operations().find(id, this);
		if (operation == null || operation.workspace() != workspace) {
			return error(404, "NotFound",
					"No operation with id " + id + " found in workspace " + workspace.name() + ".");
		}
		RegenerationOperation.Snapshot snapshot = this.parts.operations().poll(operation);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", operation.id());
		body.put("operationType", OPERATION_TYPE);
		body.put("state", snapshot.state().mmsName());
		body.put("createdTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.createdAt()));
		if (snapshot.endedAt() != null) {
			body.put("endTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.endedAt()));
		}
		if (snapshot.state() == RegenerationOperation.State.FAILED) {
			body.put("error",
					errorBody(500, "InternalServerError", RegenerationOperations.failure(operation.service())));
		}
		body.put("resourceLocation",
				"/modelmanagement/v1.0" + workspace.armId() + "/services/" + operation.service().name());
		return withRequestIds(SimResponse.json(200, body), "reads");
	}

	private static Map<String, Object> errorBody(int status, String code, String message) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("code", code);
		body.put("statusCode", status);
		body.put("message", message);
		body.put("details", new ArrayList<>());
		return body;
	}

	@Override
	public String toString() {
		return "MMS v1";
	}

}
