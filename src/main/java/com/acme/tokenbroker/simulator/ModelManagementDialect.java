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
final class ModelManagementDialect implements ControlPlaneDialect {

	private static final String PREFIX = "/modelmanagement/";

	private static final String WORKSPACE = "^/modelmanagement/v1\\.0/subscriptions/([^/]+)"
			+ "/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)";

	/**
	 * Group 5: the action, matched case-insensitively (the SDK spells {@code listkeys} in
	 * lower case).
	 */
	private static final Pattern SERVICE_PATH = Pattern
		.compile(WORKSPACE + "/services/([^/]+)(?:/((?i:token|listkeys|regeneratekeys)))?$");

	private static final Pattern OPERATION_PATH = Pattern.compile(WORKSPACE + "/operations/([^/]+)$");

	private static final Map<String, Operation> ACTIONS = Map.of("token", Operation.MMS_TOKEN, "listkeys",
			Operation.MMS_LIST_KEYS, "regeneratekeys", Operation.MMS_REGENERATE_KEYS);

	private static final String OPERATION_TYPE = "RegenerateServiceKeys";

	private static final ErrorCodes CODES = new ErrorCodes("NotFound", "MethodNotAllowed", "NotFound", "Forbidden");

	private final RegionContext region;

	private final ControlPlaneGate gate;

	private final RegenerationOperations operations;

	private final ResourceBodies bodies;

	ModelManagementDialect(RegionContext region, ControlPlaneGate gate, RegenerationOperations operations,
			ResourceBodies bodies) {
		this.region = region;
		this.gate = gate;
		this.operations = operations;
		this.bodies = bodies;
	}

	@Override
	public boolean owns(String path) {
		return path.startsWith(PREFIX);
	}

	@Override
	public Operation classify(String method, String path) {
		Matcher service = SERVICE_PATH.matcher(path);
		if (service.matches()) {
			return ControlPlaneDialect.classify(method, service.group(5), Operation.MMS_GET_SERVICE, ACTIONS);
		}
		if (OPERATION_PATH.matcher(path).matches()) {
			return "GET".equals(method) ? Operation.MMS_GET_OPERATION : Operation.UNKNOWN;
		}
		return null;
	}

	@Override
	public Operation pollOperation() {
		return Operation.MMS_GET_OPERATION;
	}

	@Override
	public ServicePath servicePath(String path) {
		Matcher matcher = SERVICE_PATH.matcher(path);
		return matcher.matches()
				? new ServicePath(matcher.group(1), matcher.group(2), matcher.group(3), matcher.group(4)) : null;
	}

	@Override
	public SimResponse checkRequest(SimRequest request) {
		return null;
	}

	@Override
	public Map<String, Directory.Service> services(Directory.Workspace workspace) {
		return workspace.webservices();
	}

	@Override
	public ErrorCodes codes() {
		return CODES;
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
	public Map<String, Object> resource(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		return this.bodies.webservice(workspace, service, fault);
	}

	@Override
	public SimResponse regenerated(Directory.Service service, Fault fault) {
		return withRequestIds(SimResponse.json(200, ControlPlaneDialect.keysBody(service.auth().keys(), fault)),
				"writes");
	}

	@Override
	public SimResponse accepted(SimRequest request, Directory.Workspace workspace, String operationId) {
		return withRequestIds(SimResponse.empty(202), "writes").withHeader("Operation-Location",
				this.region.baseUrl() + "/modelmanagement/v1.0" + workspace.armId() + "/operations/" + operationId);
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
		ControlPlaneGate.Admission admission = this.gate.admit(this, request, path.group(1), path.group(2),
				path.group(3), Operation.MMS_GET_OPERATION);
		if (admission.refusal() != null) {
			return admission.refusal();
		}
		Directory.Workspace workspace = admission.workspace();
		String id = path.group(4);
		RegenerationOperation operation = this.operations.find(id, this);
		if (operation == null || operation.workspace() != workspace) {
			return error(404, "NotFound",
					"No operation with id " + id + " found in workspace " + workspace.name() + ".");
		}
		RegenerationOperation.Snapshot snapshot = this.operations.poll(operation);
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
