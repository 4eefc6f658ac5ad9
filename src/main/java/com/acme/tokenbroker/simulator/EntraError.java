package com.acme.tokenbroker.simulator;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An error answer of the tenant's token endpoint: the OAuth error, the AADSTS code and
 * its description. The checks of a token request throw it; {@link SimulatedEntra} renders
 * it as the JSON body Entra sends. Descriptions name client ids and issuers, never
 * secrets.
 */
final class EntraError extends RuntimeException {

	private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
		.withZone(ZoneOffset.UTC);

	private static final String TRANSIENT = "A transient error has occurred. Please try again.";

	private final String error;

	private final int code;

	private final String description;

	EntraError(String error, int code, String description) {
		super("AADSTS" + code + ": " + description, null, false, false);
		this.error = error;
		this.code = code;
		this.description = description;
	}

	static EntraError missing(String parameter) {
		return new EntraError("invalid_request", 900144,
				"The request body must contain the following parameter: '" + parameter + "'.");
	}

	static EntraError throttled() {
		return new EntraError("temporarily_unavailable", 90033, TRANSIENT);
	}

	/**
	 * A transient failure answered with {@code status}.
	 */
	static EntraError transientFailure(int status) {
		String error = (status == 503) ? "temporarily_unavailable"
				: (status >= 500) ? "server_error" : "invalid_request";
		return new EntraError(error, 90033, TRANSIENT);
	}

	/**
	 * Entra's JSON error body, with a trace id, the caller's correlation id (its
	 * {@code client-request-id} when that is a UUID) and a timestamp repeated in the
	 * description.
	 * @param clientRequestId the request's {@code client-request-id} header, or
	 * {@code null}
	 * @param baseUrl the address of the listener, for {@code error_uri}
	 */
	SimResponse toResponse(int status, String clientRequestId, Instant now, String baseUrl) {
		String traceId = UUID.randomUUID().toString();
		String correlationId = correlationId(clientRequestId);
		String timestamp = TIMESTAMP.format(now);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("error", this.error);
		body.put("error_description", "AADSTS" + this.code + ": " + this.description + " Trace ID: " + traceId
				+ " Correlation ID: " + correlationId + " Timestamp: " + timestamp);
		body.put("error_codes", List.of(this.code));
		body.put("timestamp", timestamp);
		body.put("trace_id", traceId);
		body.put("correlation_id", correlationId);
		body.put("error_uri", baseUrl + "/error?code=" + this.code);
		return SimResponse.json(status, body).withHeader("Cache-Control", "no-store, no-cache");
	}

	private static String correlationId(String clientRequestId) {
		try {
			return UUID.fromString(clientRequestId).toString();
		}
		catch (RuntimeException ex) {
			return UUID.randomUUID().toString();
		}
	}

}
