package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jwt.JWTClaimsSet;

/**
 * One simulated Azure region: the Model Management Service v1 paths
 * ({@code reference/azure-ml-auth.md} §3) and the ARM v2 online-endpoint paths (§4) for
 * the workspaces located in it. Every call needs an Entra bearer for Azure Resource
 * Manager and a role on the workspace; service tokens are JWTs signed with the
 * workspace's own key.
 */
final class SimulatedRegion implements Listener.Api {

	private static final Pattern MMS_PATH = Pattern.compile("^/modelmanagement/v1\\.0/subscriptions/([^/]+)"
			+ "/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)"
			+ "/services/([^/]+)(/token)?$");

	private static final Pattern ARM_PATH = Pattern.compile("^/subscriptions/([^/]+)/resourceGroups/([^/]+)"
			+ "/providers/Microsoft\\.MachineLearningServices/workspaces/([^/]+)/onlineEndpoints/([^/]+)(/token)?$",
			Pattern.CASE_INSENSITIVE);

	private static final Pattern API_VERSION = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}(-preview)?$");

	private final String region;

	private final Directory directory;

	private final SimulatedEntra entra;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	private volatile String baseUrl = "https://localhost:0";

	SimulatedRegion(String region, Directory directory, SimulatedEntra entra, Supplier<Clock> clock,
			IssuanceObserver observer) {
		this.region = region;
		this.directory = directory;
		this.entra = entra;
		this.clock = clock;
		this.observer = observer;
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

	// ---- Listener.Api

	@Override
	public Operation classify(SimRequest request) {
		Matcher mms = MMS_PATH.matcher(request.path());
		if (mms.matches()) {
			boolean token = mms.group(5) != null;
			if (token && "POST".equals(request.method())) {
				return Operation.MMS_TOKEN;
			}
			return (!token && "GET".equals(request.method())) ? Operation.MMS_GET_SERVICE : Operation.UNKNOWN;
		}
		Matcher arm = ARM_PATH.matcher(request.path());
		if (arm.matches()) {
			boolean token = arm.group(5) != null;
			if (token && "POST".equals(request.method())) {
				return Operation.ARM_TOKEN;
			}
			return (!token && "GET".equals(request.method())) ? Operation.ARM_GET_ENDPOINT : Operation.UNKNOWN;
		}
		return Operation.UNKNOWN;
	}

	@Override
	public boolean isFaultable(Operation operation) {
		return true;
	}

	@Override
	public SimResponse handle(SimRequest request, Operation operation, Fault fault) {
		Shape shape = request.path().startsWith("/modelmanagement/") ? Shape.MMS : Shape.ARM;
		switch (fault.kind()) {
			case THROTTLED:
				return error(shape, 429, "TooManyRequests", "The request was throttled. Retry after "
						+ fault.duration().toSeconds() + " seconds.")
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
		Matcher path = ((shape == Shape.MMS) ? MMS_PATH : ARM_PATH).matcher(request.path());
		if (!path.matches()) {
			return unknown(shape, request);
		}
		String subscriptionId = path.group(1);
		String resourceGroup = path.group(2);
		String workspaceName = path.group(3);
		String serviceName = path.group(4);
		String clientId;
		try {
			clientId = this.entra.verifyManagementToken(bearer(request));
		}
		catch (Jwts.InvalidTokenException ex) {
			return unauthorized(shape, ex.getMessage());
		}
		if (shape == Shape.ARM) {
			String apiVersion = request.queryParameters().get("api-version");
			if (apiVersion == null || apiVersion.isEmpty()) {
				return error(shape, 400, "MissingApiVersionParameter",
						"The api-version query parameter (?api-version=) is required for all requests.");
			}
			if (!API_VERSION.matcher(apiVersion).matches()) {
				return error(shape, 400, "InvalidApiVersionParameter",
						"The api-version '" + apiVersion + "' is invalid.");
			}
		}
		Directory.Workspace workspace = this.directory.workspace(workspaceName);
		if (workspace == null || !workspace.region().equals(this.region)
				|| !workspace.subscriptionId().equalsIgnoreCase(subscriptionId)
				|| !workspace.resourceGroup().equalsIgnoreCase(resourceGroup)) {
			return error(shape, 404, (shape == Shape.MMS) ? "NotFound" : "ResourceNotFound",
					"The Resource 'Microsoft.MachineLearningServices/workspaces/" + workspaceName
							+ "' under resource group '" + resourceGroup + "' was not found.");
		}
		if (!this.directory.hasTokenAccess(clientId, workspace.name())) {
			return forbidden(shape, clientId, workspace, operation);
		}
		Directory.Service service = ((shape == Shape.MMS) ? workspace.webservices() : workspace.onlineEndpoints())
			.get(serviceName);
		if (service == null) {
			return (shape == Shape.MMS)
					? error(shape, 404, "NotFound",
							"No service with name " + serviceName + " found in workspace " + workspaceName + ".")
					: error(shape, 404, "ResourceNotFound", "The Resource "
							+ "'Microsoft.MachineLearningServices/workspaces/" + workspaceName + "/onlineEndpoints/"
							+ serviceName + "' under resource group '" + resourceGroup + "' was not found.");
		}
		return switch (operation) {
			case MMS_TOKEN, ARM_TOKEN -> serviceToken(shape, workspace, service, fault);
			case MMS_GET_SERVICE -> withRequestIds(shape, SimResponse.json(200, serviceResource(workspace, service, fault)),
					"reads");
			case ARM_GET_ENDPOINT -> withRequestIds(shape,
					SimResponse.json(200, endpointResource(workspace, service, fault)), "reads");
			default -> unknown(shape, request);
		};
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
			accessToken = Jwts.sign(workspace.signingKey(), claims);
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
			JWTClaimsSet claims = Jwts.verify(token, workspace.signingKey());
			return issuer().equals(claims.getIssuer()) && Jwts.hasAudience(claims, service)
					&& Jwts.isWithinTimes(claims, this.clock.get().instant());
		}
		catch (Jwts.InvalidTokenException ex) {
			return false;
		}
	}

	// ---- resources

	private Map<String, Object> serviceResource(Directory.Workspace workspace, Directory.Service service,
			Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", service.name());
		body.put("name", service.name());
		body.put("description", "Simulated AKS web service with token authentication");
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
		body.put("scoringUri", this.baseUrl + "/api/v1/service/" + service.name() + "/score");
		body.put("swaggerUri", this.baseUrl + "/api/v1/service/" + service.name() + "/swagger.json");
		// Key auth off, token auth on: aadAuthEnabled is "token auth" on the wire (reference §3.4).
		body.put("authEnabled", false);
		body.put("aadAuthEnabled", true);
		body.put("models", List.of());
		return body;
	}

	private Map<String, Object> endpointResource(Directory.Workspace workspace, Directory.Service service,
			Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		String scoringBase = this.baseUrl + "/endpoints/" + workspace.name() + "/" + service.name();
		Map<String, Object> properties = new LinkedHashMap<>();
		properties.put("description", "Simulated online endpoint with AML token authentication");
		Map<String, Object> inner = new LinkedHashMap<>();
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			inner.put("padding", Padding.oversizedToken());
		}
		properties.put("properties", inner);
		properties.put("scoringUri", scoringBase + "/score");
		properties.put("swaggerUri", scoringBase + "/swagger.json");
		properties.put("authMode", "AMLToken");
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
		identity.put("principalId", UUID.nameUUIDFromBytes(("endpoint:" + workspace.name() + "/" + service.name())
			.getBytes(StandardCharsets.UTF_8)).toString());
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
		boolean knownPath = MMS_PATH.matcher(request.path()).matches() || ARM_PATH.matcher(request.path()).matches();
		if (knownPath) {
			return error(shape, 405, (shape == Shape.MMS) ? "MethodNotAllowed" : "HttpMethodNotSupported",
					"The HTTP method '" + request.method() + "' is not supported for this path.")
				.withHeader("Allow", request.path().endsWith("/token") ? "POST" : "GET");
		}
		return error(shape, 404, (shape == Shape.MMS) ? "NotFound" : "NoRegisteredProviderFound",
				"No route matches the request path.");
	}

	private SimResponse unauthorized(Shape shape, String reason) {
		SimResponse response = (shape == Shape.MMS)
				? error(shape, 401, "Unauthorized", "Authentication failed: " + reason + ".")
				: error(shape, 401, "InvalidAuthenticationToken",
						"The access token is invalid: " + reason + ".");
		return response.withHeader("WWW-Authenticate", "Bearer authorization_uri=\"" + this.entra.baseUrl() + "/"
				+ this.directory.tenantId() + "\", error=\"invalid_token\", error_description=\"" + reason + "\"");
	}

	private SimResponse forbidden(Shape shape, String clientId, Directory.Workspace workspace, Operation operation) {
		Principal principal = this.directory.principal(clientId);
		String objectId = (principal != null) ? principal.objectId() : "unknown";
		String action = switch (operation) {
			case MMS_TOKEN -> "Microsoft.MachineLearningServices/workspaces/services/aks/token/action";
			case MMS_GET_SERVICE -> "Microsoft.MachineLearningServices/workspaces/services/aks/read";
			case ARM_TOKEN -> "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action";
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
		String authorization = request.header("authorization");
		if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			throw new Jwts.InvalidTokenException("missing bearer token");
		}
		return authorization.substring(7).trim();
	}

	@Override
	public String toString() {
		return "SimulatedRegion[" + this.region + " " + this.baseUrl + "]";
	}

	private enum Shape {

		MMS, ARM

	}

}
