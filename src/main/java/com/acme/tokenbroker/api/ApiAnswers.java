package com.acme.tokenbroker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.token.TokenUnavailableException;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import org.springdoc.core.customizers.OpenApiCustomizer;

/**
 * What springdoc cannot see in the controllers: the errors each operation answers (from
 * the controllers, the security chain and Tomcat itself), with an example of every
 * problem type; the headers of each answer; the meaning of parameters and fields. An
 * operation or field renamed in the code without a change here fails the document's
 * generation, so the test that compares it with {@code docs/openapi.yaml} fails.
 */
class ApiAnswers implements OpenApiCustomizer {

	static final String TOKENS = "tokens";

	static final String KEYS = "key rotation";

	static final String SINKS = "file sinks";

	static final String PROXY = "scoring proxy";

	static final String PROBLEM_JSON = "application/problem+json";

	private static final String PROBLEM_REF = "#/components/schemas/Problem";

	private static final String SERVICE = "fraud-scoring";

	/**
	 * Every problem type the API answers, with an example of each. The order is the order
	 * of the {@code type} enum.
	 */
	static final List<Kind> KINDS = List.of(
			new Kind("invalid-service-name", 400, "Invalid service name",
					"Service names are 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a "
							+ "letter or digit",
					"The service name is not a valid name; no upstream is called"),
			new Kind("invalid-request", 400, "Invalid minTtl",
					"minTtl must be an ISO-8601 duration such as PT10M, or a number of seconds",
					"A query parameter is not valid, such as a malformed, negative or too long minTtl"),
			new Kind("request-rejected", 400, "Request rejected", "The request URL or headers are not acceptable",
					"The URL or request line is malformed (an encoded '/', '\\' or NUL, a raw '\\', an invalid "
							+ "method, no Host); answered before the broker's code"),
			new Kind("unauthenticated", 401, "Unauthenticated",
					"A valid bearer token from a trusted issuer, meant for this broker, is required",
					"No bearer token, or one that is forged, expired, from an untrusted issuer or for another "
							+ "audience; with WWW-Authenticate"),
			new Kind("service-access-denied", 403, "Service access denied",
					"No access rule grants this caller the service '" + SERVICE + "'",
					"No access rule grants the caller this service, whether or not it exists"),
			new Kind("admin-access-denied", 403, "Administration denied",
					"No admin rule grants this caller the administration of service '" + SERVICE + "'",
					"No admin rule grants the caller this service's administration, whether or not it exists"),
			new Kind("forbidden", 403, "Forbidden", "The caller may not use this endpoint",
					"A path outside the API (on the management port: anything but health, info and prometheus)"),
			new Kind("unknown-service", 404, "Unknown service", "No service named 'fraud-scorer' is configured",
					"A rule grants the name (e.g. through a '*' pattern) but no service has it"),
			new Kind("not-found", 404, "Not found", "Nothing is served at this path",
					"A near miss of this path, such as one with a trailing slash"),
			new Kind("no-rotation", 404, "No rotation",
					"Service '" + SERVICE + "' has not been rotated since the broker started",
					"No rotation of this service since the broker started"),
			new Kind("method-not-allowed", 405, "Method not allowed", "This method is not allowed at this path",
					"Another method at this path, e.g. TRACE"),
			new Kind("not-key-auth", 409, "Not a key-auth service",
					"Service '" + SERVICE + "' is not served a key; nothing to rotate",
					"The service is not served a key"),
			new Kind("rotation-elsewhere", 409, "Rotation running elsewhere",
					"Another broker instance of the fleet is rotating the keys of service '" + SERVICE
							+ "'; follow it there, or ask again once it has ended",
					"Another instance of the fleet is rotating this service's keys"),
			new Kind("payload-too-large", 413, "Payload too large",
					"The request body exceeds broker.proxy.max-body-size",
					"The proxied request's body exceeds broker.proxy.max-body-size"),
			new Kind("request-header-too-large", 431, "Request header too large",
					"The request line and headers exceed the server's limit of 16384 bytes",
					"The request line and headers exceed server.max-http-request-header-size"),
			new Kind("internal-error", 500, "Internal error",
					"The broker failed to answer this request; the error is logged",
					"A failure of the broker, logged and never detailed"),
			new Kind("not-implemented", 501, "Not implemented",
					"The request's method or transfer coding is not implemented", "A method such as CONNECT"),
			new Kind("scoring-unreachable", 502, "Scoring endpoint unreachable",
					"The scoring endpoint of service '" + SERVICE + "' could not be reached (ConnectException)",
					"The service's scoring endpoint refused or dropped the connection, failed TLS or is not known; "
							+ "distinct from the broker's own 503s"),
			new Kind("scoring-timeout", 504, "Scoring endpoint timed out",
					"The scoring endpoint of service '" + SERVICE
							+ "' did not answer within 90 s (broker.proxy.request-deadline)",
					"The service's scoring endpoint did not answer within broker.proxy.request-deadline"),
			new Kind(TokenUnavailableException.Reason.UPSTREAM_UNAVAILABLE,
					"No usable token for service '" + SERVICE + "' (last fetch: unavailable; next attempt in 8 s)",
					"The upstream failed or could not be reached, and no usable token is cached"),
			new Kind(TokenUnavailableException.Reason.UPSTREAM_CIRCUIT_OPEN,
					"No usable token for service '" + SERVICE + "': circuit breaker 'westeurope' is OPEN and its "
							+ "probe is under way",
					"The region's circuit breaker is open: the upstream is not called until its next probe"),
			new Kind(TokenUnavailableException.Reason.UPSTREAM_BUDGET_SPENT,
					"No usable token for service '" + SERVICE + "' (last fetch: budget-spent)",
					"The region's request budget or concurrency limit is spent for now"),
			new Kind(TokenUnavailableException.Reason.UPSTREAM_REJECTED_PRINCIPAL,
					"No usable token for service '" + SERVICE + "' (last fetch: rejected-principal)",
					"The upstream refused the broker's own identity: an operator's alert"),
			new Kind(TokenUnavailableException.Reason.UPSTREAM_NOT_FOUND,
					"No usable token for service '" + SERVICE + "' (last fetch: not-found)",
					"The service does not exist upstream"),
			new Kind(TokenUnavailableException.Reason.DEADLINE_EXCEEDED,
					"The token for service '" + SERVICE + "' is still being fetched",
					"A cold miss: the one fetch in flight outlasted broker.tokens.cold-miss-deadline"),
			new Kind(TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE,
					"No token for service '" + SERVICE + "' stays usable for PT10M",
					"No token the broker can get now stays valid for minTtl"),
			new Kind(TokenUnavailableException.Reason.CREDENTIAL_REJECTED,
					"No replacement for the credential service '" + SERVICE + "' refused: the broker fetched it "
							+ "less than min-refresh-interval ago",
					"A rejection report of the served credential, and no other credential to be had yet: fetched "
							+ "within min-refresh-interval, or the upstream still answers the rejected one"),
			new Kind("rotation-coordination-unavailable", 503, "Rotation not coordinated",
					"The fleet's shared store is unavailable; a rotation now would leave the other instances "
							+ "serving a key it regenerates. Ask again once Redis is back",
					"Fleet mode, and its shared store (Redis) is unavailable"),
			new Kind("server-unavailable", 503, "Server unavailable", "The server is stopping and takes no new request",
					"The server is stopping and takes no new request"),
			new Kind("http-version-not-supported", 505, "HTTP version not supported",
					"The request's HTTP version is not supported", "An HTTP version other than 1.0 and 1.1"),
			new Kind("http-error", 406, "Not Acceptable", "Acceptable representations: [application/json, text/plain].",
					"Any other error status, such as 406 for an Accept header the operation cannot answer"));

	/** The errors every operation may answer, before or around the broker's code. */
	private static final List<String> EVERY_OPERATION = List.of("request-rejected", "unauthenticated", "not-found",
			"method-not-allowed", "request-header-too-large", "internal-error", "not-implemented", "server-unavailable",
			"http-version-not-supported");

	private static final List<String> SERVICE_NAMED = List.of("invalid-service-name", "service-access-denied",
			"unknown-service");

	private static final List<String> ADMIN = List.of("invalid-service-name", "admin-access-denied", "unknown-service");

	@Override
	public void customise(OpenAPI openApi) {
		openApi.getComponents().addSchemas("Problem", problemSchema());
		describeSchemas(openApi);

		Operation token = operation(openApi, "/tokens/{service}", PathItem.HttpMethod.GET);
		token.operationId("getToken").summary("A service token").description("""
				The service's token from the broker's cache, fetched upstream only on a cold miss or \
				for a longer minTtl than the cached token has left. JSON by default; the bare token \
				with `Accept: text/plain`. A cached token is answered by the broker's fast path with \
				the same status, headers and body.""");
		serviceParameter(token);
		parameter(token, "minTtl").description("""
				The least lifetime the token must have left: an ISO-8601 duration (`PT10M`) or seconds \
				(`600`), at most broker.tokens.max-min-ttl. A token that lives shorter is refreshed \
				first; if none can be had, 503 `min-ttl-unsatisfiable`.""");
		ApiResponse served = success(token, "200", "The token, fresh or (if `Token-Stale: true`) past its refresh "
				+ "time but still valid while the broker keeps trying");
		served.getContent().get("text/plain").getSchema().description("The bare token");
		served.getContent().get("application/json").addExamples("fresh", tokenExample());
		tokenHeaders(served);
		errors(token, concat(SERVICE_NAMED, List.of("invalid-request"), EVERY_OPERATION,
				reasons(TokenUnavailableException.Reason.CREDENTIAL_REJECTED)));

		Operation rejections = operation(openApi, "/tokens/{service}/rejections", PathItem.HttpMethod.POST);
		rejections.operationId("reportRejectedCredential")
			.summary("Report a credential the service refused")
			.description("""
					For a caller that calls the service directly and was refused (401 or 403) the \
					credential the broker served it: if that is the credential served now, the broker \
					fetches the service's credential again, once for all who report it, at most every \
					min-refresh-interval; a report of an older credential gets the current one without an \
					upstream call. Authorized as GET /tokens/{service}. The body names the credential by \
					its SHA-256 (of the exact accessToken) or gives it; it is never logged.""");
		serviceParameter(rejections);
		Schema<Object> report = object("Exactly one of the two members");
		report.addProperty("fingerprint",
				schema("string", "`sha256:` and the SHA-256 of the refused accessToken, as 64 hex digits or "
						+ "43 characters of unpadded base64url"));
		report.addProperty("credential", schema("string", "The refused credential itself (never logged)"));
		report.setMaxProperties(1);
		report.setMinProperties(1);
		rejections.requestBody(new RequestBody().required(true)
			.description("The refused credential, by fingerprint or whole; at most 16 KiB")
			.content(new Content().addMediaType("application/json",
					new MediaType().schema(report)
						.addExamples("fingerprint", new Example().summary("By fingerprint")
							.value(Map.of("fingerprint", "sha256:<64 hex digits>"))))));
		ApiResponse replaced = success(rejections, "200",
				"The credential to use now, in the body and headers of GET /tokens/{service}");
		replaced.getContent().get("application/json").addExamples("replaced", tokenExample());
		tokenHeaders(replaced);
		errors(rejections, concat(SERVICE_NAMED, List.of("invalid-request"), EVERY_OPERATION, reasons()));

		Operation status = operation(openApi, "/tokens/{service}/status", PathItem.HttpMethod.GET);
		status.operationId("getTokenStatus")
			.summary("A service's token status, without the token")
			.description("The cached token's state and runway, the last fetch and error, the next attempt and the "
					+ "region's breaker. Never the token.");
		serviceParameter(status);
		noStore(success(status, "200", "The service's status"));
		errors(status, concat(SERVICE_NAMED, EVERY_OPERATION));

		Operation list = operation(openApi, "/tokens", PathItem.HttpMethod.GET);
		list.operationId("listTokens")
			.summary("The services this caller may fetch")
			.description("Each service the caller's access rules grant, with its cached token's freshness. "
					+ "Never a token.");
		noStore(success(list, "200", "The services, possibly none"));
		errors(list, EVERY_OPERATION);

		Operation rotate = operation(openApi, "/admin/services/{service}/keys/rotate", PathItem.HttpMethod.POST);
		rotate.operationId("rotateKeys").summary("Start a key rotation").description("""
				Regenerate the key the broker does not serve, switch to it, keep the retired key valid \
				for a grace period, then regenerate it. Starts a rotation, or returns the one running. \
				Only for callers an admin rule grants the service (deny by default).""");
		serviceParameter(rotate);
		ApiResponses rotateResponses = rotate.getResponses();
		ApiResponse accepted = rotateResponses.remove("200");
		require(accepted != null, "POST /admin/services/{service}/keys/rotate answers 200");
		rotateResponses.addApiResponse("202", accepted);
		noStore(success(rotate, "202", "The rotation, started or already running; follow Location"))
			.addHeaderObject("Location", header("The rotation's status: /admin/services/{service}/keys/rotation"));
		errors(rotate, concat(ADMIN, List.of("not-key-auth", "rotation-elsewhere", "rotation-coordination-unavailable"),
				EVERY_OPERATION));

		Operation rotation = operation(openApi, "/admin/services/{service}/keys/rotation", PathItem.HttpMethod.GET);
		rotation.operationId("getKeyRotation")
			.summary("The service's latest key rotation")
			.description("The latest rotation since the broker started: its step, and never a key.");
		serviceParameter(rotation);
		noStore(success(rotation, "200", "The rotation"));
		errors(rotation, concat(ADMIN, List.of("no-rotation"), EVERY_OPERATION));

		Operation sinks = operation(openApi, "/admin/sinks", PathItem.HttpMethod.GET);
		sinks.operationId("listSinks")
			.summary("The file sinks this caller administers")
			.description("Each configured file sink (broker.sinks) of a service an admin rule grants the caller: "
					+ "its file, format and state, and the last write error. Never a credential.");
		noStore(success(sinks, "200", "The sinks, possibly none"));
		errors(sinks, EVERY_OPERATION);

		Operation proxy = operation(openApi, "/services/{service}", PathItem.HttpMethod.POST);
		proxy.operationId("proxyToService").summary("Call the service with the served credential").description("""
				The request is forwarded to the service's scoring URI (from its metadata) with the \
				credential the broker serves in `Authorization`; the answer comes back as the service \
				gave it (status, headers but hop-by-hop, body), redirects included. GET, PUT, PATCH and \
				DELETE, and any path below (`/services/{service}/swagger.json` to the scoring URI's \
				`/swagger.json`, never outside it) are forwarded alike. Authorized as GET \
				/tokens/{service}. The caller's own `Authorization` and `Cookie` and hop-by-hop headers \
				are not forwarded. When the service refuses the credential (401 or 403) the broker \
				replaces it (as POST /tokens/{service}/rejections) and sends a request of at most \
				broker.proxy.replay-buffer once more; a larger one is answered the refusal with \
				`Token-Refreshed: true`, to be sent again. The service's own errors are answered as \
				they are; 502 and 504 problems are the broker's, when the service cannot be reached.""");
		serviceParameter(proxy);
		proxy.requestBody(new RequestBody().required(false)
			.description("Whatever the service takes, streamed through; at most broker.proxy.max-body-size")
			.content(new Content().addMediaType("*/*",
					new MediaType().schema(schema("string", null).format("binary")))));
		ApiResponse answered = success(proxy, "200", "The service's answer, whatever its status, as it gave it");
		answered.setContent(
				new Content().addMediaType("*/*", new MediaType().schema(schema("string", null).format("binary"))));
		answered.addHeaderObject("Token-Refreshed", header("`true` when the broker replaced the credential "
				+ "the service refused, whether or not the request was sent again", "boolean"));
		errors(proxy,
				concat(SERVICE_NAMED,
						List.of("invalid-request", "payload-too-large", "scoring-unreachable", "scoring-timeout"),
						EVERY_OPERATION, reasons(TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE)));

		openApi.getPaths().values().forEach((path) -> path.readOperations().forEach((operation) -> {
			operation.setTags(List.of((operation == rotate || operation == rotation) ? KEYS
					: (operation == sinks) ? SINKS : (operation == proxy) ? PROXY : TOKENS));
			require(operation.getSummary() != null, "every operation is described here: " + operation.getOperationId());
		}));
	}

	/** The headers of every answer that carries a token. */
	private static void tokenHeaders(ApiResponse response) {
		response.addHeaderObject("Cache-Control", header("`no-store`: a token is never cached by intermediaries"))
			.addHeaderObject("Pragma", header("`no-cache`"))
			.addHeaderObject("Token-Stale", header("`true` when the token is past its refresh time", "boolean"))
			.addHeaderObject("Token-Expires-At", header("The token's expiry, ISO-8601 UTC", "string", "date-time"))
			.addHeaderObject("Token-Refresh-By",
					header("When to ask the broker again, ISO-8601 UTC", "string", "date-time"));
	}

	/** A token answer, the token itself a placeholder: no example holds a credential. */
	private static Example tokenExample() {
		Map<String, Object> value = new LinkedHashMap<>();
		value.put("service", SERVICE);
		value.put("tokenType", "Bearer");
		value.put("accessToken", "<token>");
		value.put("expiresAt", "2026-11-29T01:58:11Z");
		value.put("refreshBy", "2026-11-28T13:58:11Z");
		value.put("fetchedAt", "2026-11-28T13:28:11.768Z");
		value.put("stale", false);
		value.put("credentialType", "aml_token");
		value.put("scoringUri", "https://" + SERVICE + ".westeurope.inference.ml.azure.com/score");
		return new Example().summary("A fresh token (the token is a placeholder)").value(value);
	}

	private static Schema<Object> problemSchema() {
		List<String> types = KINDS.stream().map(Kind::type).toList();
		Schema<Object> problem = object("An RFC 9457 problem");
		problem.setRequired(List.of("type", "title", "status", "detail"));
		Schema<Object> type = schema("string", "The condition, a URN; each response lists the types it may carry");
		type.setEnum(new ArrayList<>(types));
		problem.addProperty("type", type);
		problem.addProperty("title", schema("string", "The condition in words; the same for every problem of a type"));
		problem.addProperty("status", schema("integer", "The HTTP status"));
		problem.addProperty("detail",
				schema("string", "What happened, naming the service and the condition; never a token or key"));
		problem.addProperty("instance", schema("string", "The request's path"));
		problem.addProperty("service", schema("string", "The service (on a 503 from /tokens/{service})"));
		problem.addProperty("retryAfterSeconds",
				schema("integer", "As Retry-After, in seconds (on a 503 from /tokens/{service})"));
		return problem;
	}

	private static void describeSchemas(OpenAPI openApi) {
		Map<String, Schema> schemas = openApi.getComponents().getSchemas();
		describe(schemas, "TokenResponse", "The answer of GET /tokens/{service}; times are ISO-8601 UTC",
				Map.of("service", "The service name", "tokenType", "The scheme to use in Authorization: `Bearer`",
						"accessToken", "The credential, used as `Authorization: Bearer <accessToken>`", "expiresAt",
						"When the token stops working", "refreshBy", "When to ask the broker again", "fetchedAt",
						"When the broker received it from the upstream", "stale",
						"Whether the broker should already hold a newer one (its refresh failed or is running)",
						"credentialType", "`aml_token`, `key` or `aad_token`", "scoringUri",
						"Where the service scores, when known"));
		describe(schemas, "ServiceStatus", "A service's token status; never the token", Map.of("state",
				"`fresh`, `stale`, `expired` or `missing`", "runwaySeconds", "Seconds until the token expires"));
		describe(schemas, "ServiceList", "The services the caller may fetch", Map.of());
		describe(schemas, "RotationView", "A key rotation; never a key",
				Map.of("status", "`RUNNING`, `WAITING`, `SUCCEEDED` or `FAILED`", "retiredSlot",
						"The key served before: `primary` or `secondary`", "newSlot", "The key served after",
						"coordinated", "Whether the fleet's other instances follow this rotation (fleet mode)"));
	}

	@SuppressWarnings("rawtypes")
	private static void describe(Map<String, Schema> schemas, String name, String description,
			Map<String, String> properties) {
		Schema schema = schemas.get(name);
		require(schema != null, "a schema named " + name);
		schema.setDescription(description);
		properties.forEach((property, text) -> {
			Object field = schema.getProperties().get(property);
			require(field != null, "a property " + name + "." + property);
			((Schema) field).setDescription(text);
		});
	}

	private static Operation operation(OpenAPI openApi, String path, PathItem.HttpMethod method) {
		PathItem item = openApi.getPaths().get(path);
		Operation operation = (item != null) ? item.readOperationsMap().get(method) : null;
		require(operation != null, "an operation " + method + " " + path);
		return operation;
	}

	private static Parameter parameter(Operation operation, String name) {
		return operation.getParameters()
			.stream()
			.filter((parameter) -> parameter.getName().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No parameter " + name + " in " + operation.getOperationId()));
	}

	private static void serviceParameter(Operation operation) {
		parameter(operation, "service").description("The service's name, as configured under broker.services")
			.getSchema()
			.pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
	}

	private static ApiResponse success(Operation operation, String status, String description) {
		ApiResponse response = operation.getResponses().get(status);
		require(response != null, operation.getOperationId() + " answers " + status);
		return response.description(description);
	}

	private static ApiResponse noStore(ApiResponse response) {
		return response.addHeaderObject("Cache-Control", header("`no-store`"));
	}

	/** One response per status, each with an example of every type answered there. */
	private static void errors(Operation operation, List<String> slugs) {
		Map<Integer, List<Kind>> byStatus = new java.util.TreeMap<>();
		for (String slug : slugs) {
			Kind kind = kind(slug);
			byStatus.computeIfAbsent(kind.status(), (status) -> new ArrayList<>()).add(kind);
		}
		byStatus.forEach((status, kinds) -> {
			ApiResponse response = problemResponse(kinds);
			if (status == 401) {
				response.addHeaderObject("WWW-Authenticate",
						header("The RFC 6750 challenge: `Bearer`, with `error=\"invalid_token\"` and one fixed "
								+ "description for any refused token"));
			}
			if (status == 503 && kinds.stream().anyMatch((kind) -> !kind.slug().equals("server-unavailable"))) {
				response.addHeaderObject("Retry-After", header(
						"Seconds to wait before asking again (on every 503 but `server-unavailable`)", "integer"));
			}
			operation.getResponses().addApiResponse(Integer.toString(status), response);
		});
		operation.getResponses()
			.addApiResponse("default", problemResponse(List.of(kind("forbidden"), kind("http-error")))
				.description("Any other error the server answers itself"));
	}

	private static ApiResponse problemResponse(List<Kind> kinds) {
		MediaType problem = new MediaType().schema(new Schema<>().$ref(PROBLEM_REF));
		StringBuilder description = new StringBuilder();
		for (Kind kind : kinds) {
			problem.addExamples(kind.slug(), kind.example());
			description.append((description.length() == 0) ? "" : "; ")
				.append('`')
				.append(kind.slug())
				.append("`: ")
				.append(kind.when());
		}
		return new ApiResponse().description(description.toString())
			.content(new Content().addMediaType(PROBLEM_JSON, problem))
			.addHeaderObject("Cache-Control", header("`no-store`"));
	}

	private static Kind kind(String slug) {
		return KINDS.stream()
			.filter((kind) -> kind.slug().equals(slug))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No problem type " + slug));
	}

	private static List<String> reasons(TokenUnavailableException.Reason... except) {
		List<String> slugs = new ArrayList<>();
		for (TokenUnavailableException.Reason reason : TokenUnavailableException.Reason.values()) {
			if (!List.of(except).contains(reason)) {
				slugs.add(reason.slug());
			}
		}
		return slugs;
	}

	@SafeVarargs
	private static List<String> concat(List<String>... lists) {
		List<String> all = new ArrayList<>();
		for (List<String> list : lists) {
			all.addAll(list);
		}
		return all;
	}

	private static Header header(String description) {
		return header(description, "string");
	}

	private static Header header(String description, String type) {
		return new Header().description(description).schema(schema(type, null));
	}

	private static Header header(String description, String type, String format) {
		Header header = header(description, type);
		header.getSchema().setFormat(format);
		return header;
	}

	private static Schema<Object> object(String description) {
		return schema("object", description);
	}

	private static Schema<Object> schema(String type, String description) {
		Schema<Object> schema = new Schema<>();
		schema.setType(type);
		schema.setTypes(Set.of(type));
		schema.setDescription(description);
		return schema;
	}

	private static void require(boolean condition, String what) {
		if (!condition) {
			throw new IllegalStateException("The API documentation expects " + what + " (see ApiAnswers)");
		}
	}

	/**
	 * A problem type, its status and an example.
	 *
	 * @param slug the type's last part
	 * @param status the status it is answered with
	 * @param title its title
	 * @param detail an example detail
	 * @param when when it is answered
	 */
	record Kind(String slug, int status, String title, String detail, String when) {

		Kind(TokenUnavailableException.Reason reason, String detail, String when) {
			this(reason.slug(), 503, reason.title(), detail, when);
		}

		String type() {
			return Problems.TYPE_PREFIX + this.slug;
		}

		Example example() {
			Map<String, Object> value = new LinkedHashMap<>();
			value.put("type", type());
			value.put("title", this.title);
			value.put("status", this.status);
			value.put("detail", this.detail);
			return new Example().summary(this.when).value(value);
		}

	}

}
