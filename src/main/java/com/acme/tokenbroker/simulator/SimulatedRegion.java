package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jwt.JWTClaimsSet;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One simulated Azure region: the Model Management Service v1 paths
 * ({@code reference/azure-ml-auth.md} §3) and the ARM v2 online-endpoint paths (§4) for
 * the workspaces located in it, and the scoring (data-plane) path of their services.
 * Every control-plane call needs an Entra bearer for Azure Resource Manager and a role on
 * the workspace; service tokens are JWTs signed with the workspace's own key.
 * <p>
 * Key regenerations are asynchronous unless {@code pollsUntilDone} is 0: they report
 * {@code Running} for that many polls and complete on the next one (§3.7, §4).
 */
final class SimulatedRegion implements Listener.Api {

	/** The audience of Entra access tokens an {@code AADToken} endpoint accepts (§4). */
	static final String ML_AUDIENCE = "https://ml.azure.com";

	/** {@code Retry-After} on ARM 202 answers: the contract's minimum (10–600 s). */
	static final int RETRY_AFTER_SECONDS = 10;

	private static final Set<String> ML_AUDIENCES = Set.of(ML_AUDIENCE, ML_AUDIENCE + "/");

	private static final String MMS_WORKSPACE = "^/modelmanagement/v1\\.0/subscriptions/([^/]+)"
			+ "/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)";

	/**
	 * Group 5: the action, matched case-insensitively (the SDK spells {@code listkeys} in
	 * lower case).
	 */
	private static final Pattern MMS_PATH = Pattern
		.compile(MMS_WORKSPACE + "/services/([^/]+)(?:/((?i:token|listkeys|regeneratekeys)))?$");

	private static final Pattern MMS_OPERATION_PATH = Pattern.compile(MMS_WORKSPACE + "/operations/([^/]+)$");

	private static final Pattern ARM_PATH = Pattern.compile("^/subscriptions/([^/]+)/resourceGroups/([^/]+)"
			+ "/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)/onlineEndpoints/([^/]+)"
			+ "(?:/(token|listKeys|regenerateKeys))?$", Pattern.CASE_INSENSITIVE);

	private static final Pattern ARM_OPERATION_PATH = Pattern
		.compile("^/subscriptions/([^/]+)" + "/providers/Microsoft\\.MachineLearningServices/locations/([^/]+)"
				+ "/(mfeOperationResults|mfeOperationsStatus)/([^/]+)$", Pattern.CASE_INSENSITIVE);

	private static final Pattern SCORE_PATH = Pattern.compile("^/score/([^/]+)/([^/]+)$");

	private static final Pattern API_VERSION = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}(-preview)?$");

	private static final String MMS_OPERATION_TYPE = "RegenerateServiceKeys";

	private final String region;

	private final Directory directory;

	private final SimulatedEntra entra;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	private final int pollsUntilDone;

	private final Map<String, RegenerationOperation> operations = new ConcurrentHashMap<>();

	private volatile String baseUrl = "https://localhost:0";

	SimulatedRegion(String region, Directory directory, SimulatedEntra entra, Supplier<Clock> clock,
			IssuanceObserver observer, int pollsUntilDone) {
		this.region = region;
		this.directory = directory;
		this.entra = entra;
		this.clock = clock;
		this.observer = observer;
		this.pollsUntilDone = pollsUntilDone;
	}

	void bound(int port) {
		this.baseUrl = "https://localhost:" + port;
	}

	String baseUrl() {
		return this.baseUrl;
	}

	/**
	 * The {@code iss} of service tokens issued in this region.
	 */
	String issuer() {
		return this.baseUrl;
	}

	/**
	 * The scoring URI of a service of a workspace in this region.
	 */
	String scoringUri(String workspace, String service) {
		return this.baseUrl + "/score/" + workspace + "/" + service;
	}

	// ---- Listener.Api

	@Override
	public Operation classify(SimRequest request) {
		String path = request.path();
		boolean get = "GET".equals(request.method());
		boolean post = "POST".equals(request.method());
		Matcher mms = MMS_PATH.matcher(path);
		if (mms.matches()) {
			String action = lower(mms.group(5));
			if (action == null) {
				return get ? Operation.MMS_GET_SERVICE : Operation.UNKNOWN;
			}
			if (!post) {
				return Operation.UNKNOWN;
			}
			return switch (action) {
				case "token" -> Operation.MMS_TOKEN;
				case "listkeys" -> Operation.MMS_LIST_KEYS;
				default -> Operation.MMS_REGENERATE_KEYS;
			};
		}
		if (MMS_OPERATION_PATH.matcher(path).matches()) {
			return get ? Operation.MMS_GET_OPERATION : Operation.UNKNOWN;
		}
		Matcher arm = ARM_PATH.matcher(path);
		if (arm.matches()) {
			String action = lower(arm.group(5));
			if (action == null) {
				return get ? Operation.ARM_GET_ENDPOINT : Operation.UNKNOWN;
			}
			if (!post) {
				return Operation.UNKNOWN;
			}
			return switch (action) {
				case "token" -> Operation.ARM_TOKEN;
				case "listkeys" -> Operation.ARM_LIST_KEYS;
				default -> Operation.ARM_REGENERATE_KEYS;
			};
		}
		if (ARM_OPERATION_PATH.matcher(path).matches()) {
			return get ? Operation.ARM_GET_OPERATION : Operation.UNKNOWN;
		}
		if (SCORE_PATH.matcher(path).matches()) {
			return post ? Operation.SCORE : Operation.UNKNOWN;
		}
		return Operation.UNKNOWN;
	}

	/**
	 * Scoring is the data plane: the region's faults do not apply to it, so tests of key
	 * rotation measure the broker, not the faults.
	 */
	@Override
	public boolean isFaultable(Operation operation) {
		return operation != Operation.SCORE;
	}

	/**
	 * Scoring is counted but not recorded: callers score in loops, which would push the
	 * control-plane exchanges out of the bounded recording.
	 */
	@Override
	public boolean isRecorded(Operation operation) {
		return operation != Operation.SCORE;
	}

	@Override
	public SimResponse handle(SimRequest request, Operation operation, Fault fault) {
		if (operation == Operation.SCORE) {
			return score(request, fault);
		}
		Shape shape = request.path().startsWith("/modelmanagement/") ? Shape.MMS : Shape.ARM;
		switch (fault.kind()) {
			case THROTTLED:
				return error(shape, 429, "TooManyRequests",
						"The request was throttled. Retry after " + fault.duration().toSeconds() + " seconds.")
					.withHeader("Retry-After", Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return error(shape, fault.status(), errorCode(fault.status()),
						"The service encountered a simulated error.");
			case MALFORMED:
				return SimResponse.text(successStatus(operation), "text/html; charset=utf-8",
						"<html><head><title>Service Unavailable</title></head><body>upstream proxy</body></html>");
			default:
				break;
		}
		if (operation == Operation.UNKNOWN) {
			return unknown(shape, request);
		}
		if (operation == Operation.MMS_GET_OPERATION) {
			return mmsOperation(request);
		}
		if (operation == Operation.ARM_GET_OPERATION) {
			return armOperation(request);
		}
		Matcher path = ((shape == Shape.MMS) ? MMS_PATH : ARM_PATH).matcher(request.path());
		if (!path.matches()) {
			return unknown(shape, request);
		}
		String subscriptionId = path.group(1);
		String resourceGroup = path.group(2);
		String workspaceName = path.group(3);
		String serviceName = path.group(4);
		Caller caller = caller(shape, request);
		if (caller.rejection() != null) {
			return caller.rejection();
		}
		Directory.Workspace workspace = workspace(workspaceName, subscriptionId, resourceGroup);
		if (workspace == null) {
			return workspaceNotFound(shape, workspaceName, resourceGroup);
		}
		if (!this.directory.hasTokenAccess(caller.clientId(), workspace.name())) {
			return forbidden(shape, caller.clientId(), workspace, operation);
		}
		Directory.Service service = ((shape == Shape.MMS) ? workspace.webservices() : workspace.onlineEndpoints())
			.get(serviceName);
		if (service == null) {
			return (shape == Shape.MMS)
					? error(shape, 404, "NotFound",
							"No service with name " + serviceName + " found in workspace " + workspaceName + ".")
					: error(shape, 404, "ResourceNotFound",
							"The Resource " + "'Microsoft.MachineLearningServices/workspaces/" + workspaceName
									+ "/onlineEndpoints/" + serviceName + "' under resource group '" + resourceGroup
									+ "' was not found.");
		}
		return switch (operation) {
			case MMS_TOKEN, ARM_TOKEN -> (service.auth().mode() == AuthMode.AML_TOKEN)
					? serviceToken(shape, workspace, service, fault) : wrongMode(shape, service, AuthMode.AML_TOKEN);
			case MMS_GET_SERVICE ->
				withRequestIds(shape, SimResponse.json(200, serviceResource(workspace, service, fault)), "reads");
			case ARM_GET_ENDPOINT ->
				withRequestIds(shape, SimResponse.json(200, endpointResource(workspace, service, fault)), "reads");
			case MMS_LIST_KEYS, ARM_LIST_KEYS -> (service.auth().mode() == AuthMode.KEY)
					? withRequestIds(shape, SimResponse.json(200, keysBody(service.auth().keys(), fault)), "writes")
					: wrongMode(shape, service, AuthMode.KEY);
			case MMS_REGENERATE_KEYS, ARM_REGENERATE_KEYS -> (service.auth().mode() == AuthMode.KEY)
					? regenerate(shape, request, workspace, service, fault) : wrongMode(shape, service, AuthMode.KEY);
			default -> unknown(shape, request);
		};
	}

	private Caller caller(Shape shape, SimRequest request) {
		String clientId;
		try {
			clientId = this.entra.verifyManagementToken(bearer(request));
		}
		catch (Jwts.InvalidTokenException ex) {
			return new Caller(null, unauthorized(shape, ex.getMessage()));
		}
		if (shape == Shape.ARM) {
			String apiVersion = request.queryParameters().get("api-version");
			if (apiVersion == null || apiVersion.isEmpty()) {
				return new Caller(null, error(shape, 400, "MissingApiVersionParameter",
						"The api-version query parameter (?api-version=) is required for all requests."));
			}
			if (!API_VERSION.matcher(apiVersion).matches()) {
				return new Caller(null, error(shape, 400, "InvalidApiVersionParameter",
						"The api-version '" + apiVersion + "' is invalid."));
			}
		}
		return new Caller(clientId, null);
	}

	private Directory.Workspace workspace(String name, String subscriptionId, String resourceGroup) {
		Directory.Workspace workspace = this.directory.workspace(name);
		if (workspace == null || !workspace.region().equals(this.region)
				|| !workspace.subscriptionId().equalsIgnoreCase(subscriptionId)
				|| !workspace.resourceGroup().equalsIgnoreCase(resourceGroup)) {
			return null;
		}
		return workspace;
	}

	private SimResponse workspaceNotFound(Shape shape, String workspaceName, String resourceGroup) {
		return error(shape, 404, (shape == Shape.MMS) ? "NotFound" : "ResourceNotFound",
				"The Resource 'Microsoft.MachineLearningServices/workspaces/" + workspaceName
						+ "' under resource group '" + resourceGroup + "' was not found.");
	}

	private SimResponse wrongMode(Shape shape, Directory.Service service, AuthMode needed) {
		AuthMode mode = service.auth().mode();
		if (shape == Shape.MMS) {
			String message = (needed == AuthMode.KEY)
					? "Key authentication is not enabled for service " + service.name() + "."
					: "Token authentication is not enabled for service " + service.name() + ".";
			return error(shape, 400, "BadRequest", message);
		}
		return error(shape, 400, "BadRequest", "Online endpoint '" + service.name() + "' has authMode '"
				+ mode.armValue() + "'; this operation needs authMode '" + needed.armValue() + "'.");
	}

	// ---- keys

	private Map<String, Object> keysBody(Keys keys, Fault fault) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("primaryKey", keys.primaryKey());
		if (fault.kind() != Fault.Kind.MISSING_FIELDS) {
			body.put("secondaryKey", keys.secondaryKey());
		}
		return body;
	}

	private SimResponse regenerate(Shape shape, SimRequest request, Directory.Workspace workspace,
			Directory.Service service, Fault fault) {
		KeyRequest keyRequest;
		try {
			keyRequest = KeyRequest.parse(request.body());
		}
		catch (IllegalArgumentException ex) {
			return error(shape, 400, "BadRequest", ex.getMessage());
		}
		if (keyRequest.keyValue() != null) {
			this.observer.issued(keyRequest.keyValue());
		}
		if (fault.kind() == Fault.Kind.MISSING_FIELDS && this.pollsUntilDone > 0) {
			// Accepted without a URL to poll: nothing will ever change.
			return withRequestIds(shape, SimResponse.empty(202), "writes");
		}
		Instant now = now();
		RegenerationOperation operation = new RegenerationOperation(UUID.randomUUID().toString(), shape == Shape.ARM,
				workspace, service, keyRequest.slot(), keyRequest.keyValue(), service.auth().takeRegenerationFailure(),
				now, this.pollsUntilDone);
		if (this.pollsUntilDone == 0) {
			RegenerationOperation.Snapshot done = operation.completeNow(now, this.observer::issued);
			if (done.state() == RegenerationOperation.State.FAILED) {
				return regenerationFailed(shape, service);
			}
			return (shape == Shape.MMS)
					? withRequestIds(shape, SimResponse.json(200, keysBody(service.auth().keys(), fault)), "writes")
					: withRequestIds(shape, SimResponse.empty(200), "writes");
		}
		this.operations.put(operation.id(), operation);
		if (shape == Shape.MMS) {
			return withRequestIds(shape, SimResponse.empty(202), "writes").withHeader("Operation-Location",
					mmsOperationLocation(workspace, operation.id()));
		}
		String apiVersion = request.queryParameters().get("api-version");
		return withRequestIds(shape, SimResponse.empty(202), "writes")
			.withHeader("Location", armOperationUrl(workspace, "mfeOperationResults", operation.id(), apiVersion))
			.withHeader("Azure-AsyncOperation",
					armOperationUrl(workspace, "mfeOperationsStatus", operation.id(), apiVersion))
			.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
	}

	private SimResponse regenerationFailed(Shape shape, Directory.Service service) {
		return error(shape, 500, "InternalServerError", regenerationFailure(service));
	}

	private static String regenerationFailure(Directory.Service service) {
		return "Regenerating a key of " + service.name() + " failed (simulated); the keys are unchanged.";
	}

	private String mmsOperationLocation(Directory.Workspace workspace, String id) {
		return this.baseUrl + "/modelmanagement/v1.0/subscriptions/" + workspace.subscriptionId() + "/resourceGroups/"
				+ workspace.resourceGroup() + "/providers/Microsoft.MachineLearningServices/workspaces/"
				+ workspace.name() + "/operations/" + id;
	}

	private String armOperationUrl(Directory.Workspace workspace, String kind, String id, String apiVersion) {
		return this.baseUrl + "/subscriptions/" + workspace.subscriptionId()
				+ "/providers/Microsoft.MachineLearningServices/locations/" + this.region + "/" + kind + "/" + id
				+ "?api-version=" + apiVersion;
	}

	// ---- operation polls

	private SimResponse mmsOperation(SimRequest request) {
		Matcher path = MMS_OPERATION_PATH.matcher(request.path());
		if (!path.matches()) {
			return unknown(Shape.MMS, request);
		}
		Caller caller = caller(Shape.MMS, request);
		if (caller.rejection() != null) {
			return caller.rejection();
		}
		Directory.Workspace workspace = workspace(path.group(3), path.group(1), path.group(2));
		if (workspace == null) {
			return workspaceNotFound(Shape.MMS, path.group(3), path.group(2));
		}
		if (!this.directory.hasTokenAccess(caller.clientId(), workspace.name())) {
			return forbidden(Shape.MMS, caller.clientId(), workspace, Operation.MMS_GET_OPERATION);
		}
		String id = path.group(4);
		RegenerationOperation operation = this.operations.get(id);
		if (operation == null || operation.isArm() || operation.workspace() != workspace) {
			return error(Shape.MMS, 404, "NotFound",
					"No operation with id " + id + " found in workspace " + workspace.name() + ".");
		}
		RegenerationOperation.Snapshot snapshot = operation.poll(now(), this.observer::issued);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", operation.id());
		body.put("operationType", MMS_OPERATION_TYPE);
		body.put("state", snapshot.state().mmsName());
		body.put("createdTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.createdAt()));
		if (snapshot.endedAt() != null) {
			body.put("endTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.endedAt()));
		}
		if (snapshot.state() == RegenerationOperation.State.FAILED) {
			Map<String, Object> error = new LinkedHashMap<>();
			error.put("code", "InternalServerError");
			error.put("statusCode", 500);
			error.put("message", regenerationFailure(operation.service()));
			error.put("details", new ArrayList<>());
			body.put("error", error);
		}
		body.put("resourceLocation",
				"/modelmanagement/v1.0" + workspace.armId() + "/services/" + operation.service().name());
		return withRequestIds(Shape.MMS, SimResponse.json(200, body), "reads");
	}

	private SimResponse armOperation(SimRequest request) {
		Matcher path = ARM_OPERATION_PATH.matcher(request.path());
		if (!path.matches()) {
			return unknown(Shape.ARM, request);
		}
		Caller caller = caller(Shape.ARM, request);
		if (caller.rejection() != null) {
			return caller.rejection();
		}
		String id = path.group(4);
		RegenerationOperation operation = this.operations.get(id);
		if (operation == null || !operation.isArm() || !path.group(2).equalsIgnoreCase(this.region)
				|| !operation.workspace().subscriptionId().equalsIgnoreCase(path.group(1))) {
			return error(Shape.ARM, 404, "ResourceNotFound", "The operation '" + id + "' was not found.");
		}
		Directory.Workspace workspace = operation.workspace();
		if (!this.directory.hasTokenAccess(caller.clientId(), workspace.name())) {
			return forbidden(Shape.ARM, caller.clientId(), workspace, Operation.ARM_GET_OPERATION);
		}
		RegenerationOperation.Snapshot snapshot = operation.poll(now(), this.observer::issued);
		String apiVersion = request.queryParameters().get("api-version");
		if ("mfeoperationsstatus".equals(lower(path.group(3)))) {
			Map<String, Object> body = new LinkedHashMap<>();
			body.put("id", request.path());
			body.put("name", operation.id());
			body.put("status", snapshot.state().armName());
			body.put("startTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.createdAt()));
			if (snapshot.endedAt() != null) {
				body.put("endTime", DateTimeFormatter.ISO_INSTANT.format(snapshot.endedAt()));
			}
			if (snapshot.state() == RegenerationOperation.State.FAILED) {
				body.put("error",
						Map.of("code", "InternalServerError", "message", regenerationFailure(operation.service())));
			}
			SimResponse response = withRequestIds(Shape.ARM, SimResponse.json(200, body), "reads");
			return (snapshot.state() == RegenerationOperation.State.RUNNING)
					? response.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)) : response;
		}
		return switch (snapshot.state()) {
			case RUNNING -> withRequestIds(Shape.ARM, SimResponse.empty(202), "reads")
				.withHeader("Location", armOperationUrl(workspace, "mfeOperationResults", operation.id(), apiVersion))
				.withHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
			case SUCCEEDED -> withRequestIds(Shape.ARM, SimResponse.empty(200), "reads");
			case FAILED -> regenerationFailed(Shape.ARM, operation.service());
		};
	}

	// ---- scoring

	private SimResponse score(SimRequest request, Fault fault) {
		switch (fault.kind()) {
			case THROTTLED:
				return scoringError(429, "TooManyRequests", "The request was throttled.").withHeader("Retry-After",
						Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return scoringError(fault.status(), errorCode(fault.status()),
						"The service encountered a simulated error.");
			case MALFORMED:
				return SimResponse.text(200, "text/html; charset=utf-8", "<html><body>upstream proxy</body></html>");
			default:
				break;
		}
		Matcher path = SCORE_PATH.matcher(request.path());
		if (!path.matches()) {
			return scoringError(404, "NotFound", "No route matches the request path.");
		}
		Directory.Workspace workspace = this.directory.workspace(path.group(1));
		Directory.Service service = (workspace != null && workspace.region().equals(this.region))
				? workspace.service(path.group(2)) : null;
		if (service == null) {
			return scoringError(404, "NotFound",
					"No service " + path.group(2) + " in workspace " + path.group(1) + ".");
		}
		if (!acceptsScoringCredential(workspace, service, bearerOrNull(request))) {
			return scoringError(401, "Unauthorized",
					"The credential is not valid for " + service.name() + " (authentication: "
							+ service.auth().mode().armValue() + ").")
				.withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("score", Math.floorMod(Arrays.hashCode(request.body()), 1000) / 1000.0);
		return SimResponse.json(200, body);
	}

	private boolean acceptsScoringCredential(Directory.Workspace workspace, Directory.Service service,
			String credential) {
		if (credential == null || credential.isEmpty()) {
			return false;
		}
		return switch (service.auth().mode()) {
			case AML_TOKEN -> acceptsServiceToken(workspace, service.name(), credential);
			case KEY -> service.auth().isCurrentKey(credential);
			case AAD_TOKEN -> this.entra.acceptsAccessToken(credential, ML_AUDIENCES);
		};
	}

	private SimResponse scoringError(int status, String code, String message) {
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("code", code);
		error.put("message", message);
		return SimResponse.json(status, Map.of("error", error));
	}

	// ---- service tokens

	private SimResponse serviceToken(Shape shape, Directory.Workspace workspace, Directory.Service service,
			Fault fault) {
		Instant now = this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
		Instant issuedAt = now;
		Instant refreshAfter = now.plus(service.refreshAfter());
		Instant expiresAt = now.plus(service.expiresAfter());
		if (fault.kind() == Fault.Kind.EXPIRED) {
			expiresAt = now.minusSeconds(60);
			issuedAt = expiresAt.minus(service.expiresAfter());
			refreshAfter = issuedAt.plus(service.refreshAfter());
		}
		String accessToken;
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			accessToken = Padding.oversizedToken();
		}
		else {
			JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer())
				.audience(service.name())
				.issueTime(Date.from(issuedAt))
				.notBeforeTime(Date.from(issuedAt))
				.expirationTime(Date.from(expiresAt))
				.jwtID(UUID.randomUUID().toString())
				.build();
			accessToken = Jwts.sign(workspace.signingKey().get(), claims);
			this.observer.issued(accessToken);
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("accessToken", accessToken);
		body.put("tokenType", "Bearer");
		// Epoch seconds (reference §3.5, §4).
		if (shape == Shape.MMS) {
			body.put("expiryOn", expiresAt.getEpochSecond());
			body.put("refreshAfter", refreshAfter.getEpochSecond());
		}
		else {
			body.put("expiryTimeUtc", expiresAt.getEpochSecond());
			body.put("refreshAfterTimeUtc", refreshAfter.getEpochSecond());
		}
		if (fault.kind() == Fault.Kind.MISSING_FIELDS) {
			body.remove("expiryOn");
			body.remove("expiryTimeUtc");
		}
		return withRequestIds(shape, SimResponse.json((shape == Shape.MMS) ? 201 : 200, body), "writes");
	}

	/**
	 * Whether {@code token} is a service token this region issued for the service and is
	 * still valid by the simulator's clock.
	 */
	boolean acceptsServiceToken(Directory.Workspace workspace, String service, String token) {
		try {
			JWTClaimsSet claims = Jwts.verify(token, workspace.signingKey().get());
			return issuer().equals(claims.getIssuer()) && Jwts.hasAudience(claims, service)
					&& Jwts.isWithinTimes(claims, this.clock.get().instant());
		}
		catch (Jwts.InvalidTokenException ex) {
			return false;
		}
	}

	// ---- resources

	private Map<String, Object> serviceResource(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", service.name());
		body.put("name", service.name());
		boolean keyAuth = service.auth().mode() == AuthMode.KEY;
		body.put("description", "Simulated AKS web service with " + (keyAuth ? "key" : "token") + " authentication");
		Map<String, Object> kvTags = new LinkedHashMap<>();
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			kvTags.put("padding", Padding.oversizedToken());
		}
		body.put("kvTags", kvTags);
		body.put("properties", Map.of("hasInferenceSchema", "False", "hasHttps", "True"));
		body.put("state", "Healthy");
		body.put("createdTime", created);
		body.put("updatedTime", created);
		body.put("computeType", "AKS");
		body.put("deploymentType", "HttpRealtimeEndpoint");
		body.put("computeName", "aks-sim");
		body.put("namespace", "azureml-" + workspace.name());
		body.put("numReplicas", 1);
		body.put("appInsightsEnabled", false);
		Map<String, Object> autoScaler = new LinkedHashMap<>();
		autoScaler.put("autoscaleEnabled", false);
		autoScaler.put("minReplicas", 1);
		autoScaler.put("maxReplicas", 1);
		autoScaler.put("targetUtilization", 70);
		autoScaler.put("refreshPeriodInSeconds", 1);
		body.put("autoScaler", autoScaler);
		body.put("containerResourceRequirements", Map.of("cpu", 0.1, "memoryInGB", 0.5));
		body.put("maxConcurrentRequestsPerContainer", 1);
		body.put("maxQueueWaitMs", 500);
		body.put("scoringTimeoutMs", 60000);
		body.put("deploymentStatus", Map.of("desiredReplicas", 1, "updatedReplicas", 1, "availableReplicas", 1));
		body.put("scoringUri", scoringUri(workspace.name(), service.name()));
		body.put("swaggerUri", this.baseUrl + "/api/v1/service/" + service.name() + "/swagger.json");
		// aadAuthEnabled is "token auth" on the wire, authEnabled "key auth"; they are
		// mutually exclusive (reference §3.4).
		body.put("authEnabled", keyAuth);
		body.put("aadAuthEnabled", !keyAuth);
		body.put("models", List.of());
		return body;
	}

	private Map<String, Object> endpointResource(Directory.Workspace workspace, Directory.Service service,
			Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		String scoringBase = this.baseUrl + "/endpoints/" + workspace.name() + "/" + service.name();
		Map<String, Object> properties = new LinkedHashMap<>();
		AuthMode mode = service.auth().mode();
		properties.put("description", "Simulated online endpoint with " + mode.armValue() + " authentication");
		Map<String, Object> inner = new LinkedHashMap<>();
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			inner.put("padding", Padding.oversizedToken());
		}
		properties.put("properties", inner);
		properties.put("scoringUri", scoringUri(workspace.name(), service.name()));
		properties.put("swaggerUri", scoringBase + "/swagger.json");
		properties.put("authMode", mode.armValue());
		properties.put("provisioningState", "Succeeded");
		properties.put("traffic", Map.of("blue", 100));
		Map<String, Object> systemData = new LinkedHashMap<>();
		systemData.put("createdAt", created);
		systemData.put("createdBy", "simulator");
		systemData.put("createdByType", "Application");
		systemData.put("lastModifiedAt", created);
		systemData.put("lastModifiedBy", "simulator");
		systemData.put("lastModifiedByType", "Application");
		Map<String, Object> identity = new LinkedHashMap<>();
		identity.put("type", "SystemAssigned");
		identity.put("principalId",
				UUID.nameUUIDFromBytes(
						("endpoint:" + workspace.name() + "/" + service.name()).getBytes(StandardCharsets.UTF_8))
					.toString());
		identity.put("tenantId", this.directory.tenantId());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", workspace.armId() + "/onlineEndpoints/" + service.name());
		body.put("name", service.name());
		body.put("type", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints");
		body.put("properties", properties);
		body.put("systemData", systemData);
		body.put("tags", Map.of());
		body.put("location", this.region);
		body.put("kind", "Managed");
		body.put("identity", identity);
		return body;
	}

	// ---- errors

	private SimResponse unknown(Shape shape, SimRequest request) {
		String allow = allowedMethod(request.path());
		if (allow != null) {
			return error(shape, 405, (shape == Shape.MMS) ? "MethodNotAllowed" : "HttpMethodNotSupported",
					"The HTTP method '" + request.method() + "' is not supported for this path.")
				.withHeader("Allow", allow);
		}
		return error(shape, 404, (shape == Shape.MMS) ? "NotFound" : "NoRegisteredProviderFound",
				"No route matches the request path.");
	}

	private SimResponse unauthorized(Shape shape, String reason) {
		SimResponse response = (shape == Shape.MMS)
				? error(shape, 401, "Unauthorized", "Authentication failed: " + reason + ".")
				: error(shape, 401, "InvalidAuthenticationToken", "The access token is invalid: " + reason + ".");
		return response.withHeader("WWW-Authenticate", "Bearer authorization_uri=\"" + this.entra.baseUrl() + "/"
				+ this.directory.tenantId() + "\", error=\"invalid_token\", error_description=\"" + reason + "\"");
	}

	private SimResponse forbidden(Shape shape, String clientId, Directory.Workspace workspace, Operation operation) {
		Principal principal = this.directory.principal(clientId);
		String objectId = (principal != null) ? principal.objectId() : "unknown";
		String action = switch (operation) {
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
		String message = "The client '" + clientId + "' with object id '" + objectId
				+ "' does not have authorization to perform action '" + action + "' over scope '" + workspace.armId()
				+ "' or the scope is invalid.";
		return error(shape, 403, (shape == Shape.MMS) ? "Forbidden" : "AuthorizationFailed", message);
	}

	private SimResponse error(Shape shape, int status, String code, String message) {
		Map<String, Object> body = new LinkedHashMap<>();
		if (shape == Shape.MMS) {
			// ModelErrorResponse {code, statusCode, message, details[]}
			body.put("code", code);
			body.put("statusCode", status);
			body.put("message", message);
			body.put("details", new ArrayList<>());
		}
		else {
			// ARM common-types ErrorResponse {error: {code, message}}
			Map<String, Object> error = new LinkedHashMap<>();
			error.put("code", code);
			error.put("message", message);
			body.put("error", error);
		}
		return withRequestIds(shape, SimResponse.json(status, body), null);
	}

	private SimResponse withRequestIds(Shape shape, SimResponse response, String budget) {
		String requestId = UUID.randomUUID().toString();
		SimResponse result = response.withHeader("x-ms-request-id", requestId);
		if (shape == Shape.ARM) {
			result = result.withHeader("x-ms-correlation-request-id", requestId);
			if (budget != null) {
				result = result.withHeader("x-ms-ratelimit-remaining-subscription-" + budget,
						"reads".equals(budget) ? "249" : "199");
			}
		}
		return result;
	}

	private static int successStatus(Operation operation) {
		return (operation == Operation.MMS_TOKEN) ? 201 : 200;
	}

	private static String errorCode(int status) {
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

	private static String bearer(SimRequest request) {
		String credential = bearerOrNull(request);
		if (credential == null) {
			throw new Jwts.InvalidTokenException("missing bearer token");
		}
		return credential;
	}

	private static String bearerOrNull(SimRequest request) {
		String authorization = request.header("authorization");
		if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			return null;
		}
		return authorization.substring(7).trim();
	}

	/**
	 * The method a known path answers, or {@code null} for an unknown path.
	 */
	private static String allowedMethod(String path) {
		if (MMS_OPERATION_PATH.matcher(path).matches() || ARM_OPERATION_PATH.matcher(path).matches()) {
			return "GET";
		}
		if (SCORE_PATH.matcher(path).matches()) {
			return "POST";
		}
		Matcher mms = MMS_PATH.matcher(path);
		if (mms.matches()) {
			return (mms.group(5) != null) ? "POST" : "GET";
		}
		Matcher arm = ARM_PATH.matcher(path);
		if (arm.matches()) {
			return (arm.group(5) != null) ? "POST" : "GET";
		}
		return null;
	}

	private Instant now() {
		return this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
	}

	private static String lower(String value) {
		return (value != null) ? value.toLowerCase(Locale.ROOT) : null;
	}

	@Override
	public String toString() {
		return "SimulatedRegion[" + this.region + " " + this.baseUrl + "]";
	}

	private enum Shape {

		MMS, ARM

	}

	/**
	 * The authenticated caller's client id, or the answer that rejects the call.
	 */
	private record Caller(String clientId, SimResponse rejection) {
	}

	/**
	 * A regeneration request body: {@code {"keyType": "Primary" | "Secondary",
	 * "keyValue": <string, null or absent>}}, the same for MMS v1 and ARM v2 (§3.7, §4).
	 * Parse errors never quote the body, which may hold a key.
	 */
	private record KeyRequest(KeyType slot, String keyValue) {

		static KeyRequest parse(byte[] body) {
			JsonNode json;
			try {
				json = (body.length == 0) ? null : Json.MAPPER.readTree(body);
			}
			catch (JacksonException ex) {
				throw new IllegalArgumentException("The request body is not valid JSON.");
			}
			if (json == null || !json.isObject()) {
				throw new IllegalArgumentException(
						"The request body must be a JSON object with keyType 'Primary' or 'Secondary'.");
			}
			JsonNode keyType = json.get("keyType");
			KeyType slot = (keyType != null && keyType.isString()) ? KeyType.fromWireName(keyType.stringValue()) : null;
			if (slot == null) {
				throw new IllegalArgumentException("keyType is required and must be 'Primary' or 'Secondary'.");
			}
			JsonNode keyValue = json.get("keyValue");
			if (keyValue == null || keyValue.isNull()) {
				return new KeyRequest(slot, null);
			}
			if (!keyValue.isString() || keyValue.stringValue().isBlank()) {
				throw new IllegalArgumentException("keyValue must be a non-empty string, null or absent.");
			}
			return new KeyRequest(slot, keyValue.stringValue());
		}

		@Override
		public String toString() {
			return "KeyRequest[" + this.slot + ", keyValue=" + ((this.keyValue != null) ? "(redacted)" : "null") + "]";
		}

	}

}
