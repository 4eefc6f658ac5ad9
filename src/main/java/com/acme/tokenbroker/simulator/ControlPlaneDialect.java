package com.acme.tokenbroker.simulator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One of the two control-plane APIs a simulated region serves, as the broker's own
 * {@code AzureMlApi} tells them apart: where a service's operations are, how errors and
 * answers are shaped, and how an asynchronous key regeneration is reported.
 * <ul>
 * <li>{@link ModelManagementDialect}: MMS v1 web services
 * ({@code reference/azure-ml-auth.md} §3);</li>
 * <li>{@link ResourceManagerDialect}: ARM v2 online endpoints (§4).</li>
 * </ul>
 * The checks both share (the caller's bearer, the workspace, the role) are in
 * {@link ControlPlaneGate}; the flow of a call is in {@link SimulatedRegion}.
 */
interface ControlPlaneDialect {

	/**
	 * Where this API puts services, their actions and regeneration polls.
	 */
	DialectSpec spec();

	/**
	 * The operation a request asks for: {@link Operation#UNKNOWN} for a path of this API
	 * with the wrong method, {@code null} for a path not of this API.
	 */
	default Operation classify(String method, String path) {
		return spec().classify(method, path);
	}

	/**
	 * The answer that refuses a request before anything is looked up (ARM's
	 * {@code api-version}), or {@code null}.
	 */
	default SimResponse checkRequest(SimRequest request) {
		return null;
	}

	/**
	 * The services of a workspace this API addresses: web services or online endpoints.
	 */
	default Map<String, Directory.Service> services(Directory.Workspace workspace) {
		return spec().services().apply(workspace);
	}

	/**
	 * The error codes of conditions both APIs report, each in its own words.
	 */
	default ErrorCodes codes() {
		return spec().codes();
	}

	/**
	 * An error in this API's shape, with its request ids.
	 */
	SimResponse error(int status, String code, String message);

	/**
	 * The answer with this API's request ids (and, for ARM, the remaining budget of
	 * {@code reads} or {@code writes}; {@code null} for none).
	 */
	SimResponse withRequestIds(SimResponse response, String budget);

	SimResponse serviceNotFound(String workspace, String resourceGroup, String service);

	SimResponse unauthorized(String reason);

	/**
	 * The answer to a credential operation the service's current mode does not offer.
	 */
	SimResponse wrongMode(Directory.Service service, AuthMode needed);

	/**
	 * The answer carrying a service token, with times in epoch seconds (§3.5, §4).
	 */
	SimResponse token(ServiceTokens.Issued issued, Fault fault);

	/**
	 * The answer to a key regeneration that completed at once.
	 */
	SimResponse regenerated(Directory.Service service, Fault fault);

	/**
	 * The answer to a key regeneration accepted for later (202 and where to poll).
	 */
	SimResponse accepted(SimRequest request, Directory.Workspace workspace, String operationId);

	/**
	 * The answer to a poll of a key regeneration ({@link DialectSpec#pollOperation()}).
	 */
	SimResponse poll(SimRequest request);

	/**
	 * A {@code listkeys} answer: {@code secondaryKey} is left out under
	 * {@link Fault.Kind#MISSING_FIELDS}.
	 */
	static Map<String, Object> keysBody(Keys keys, Fault fault) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("primaryKey", keys.primaryKey());
		if (fault.kind() != Fault.Kind.MISSING_FIELDS) {
			body.put("secondaryKey", keys.secondaryKey());
		}
		return body;
	}

	/**
	 * A token answer with the API's names for the times; the expiry is left out under
	 * {@link Fault.Kind#MISSING_FIELDS}.
	 */
	static Map<String, Object> tokenBody(ServiceTokens.Issued issued, String expiryField, String refreshField,
			Fault fault) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("accessToken", issued.accessToken());
		body.put("tokenType", "Bearer");
		if (fault.kind() != Fault.Kind.MISSING_FIELDS) {
			body.put(expiryField, issued.expiresAt().getEpochSecond());
		}
		body.put(refreshField, issued.refreshAfter().getEpochSecond());
		return body;
	}

	/**
	 * The coordinates of a service in a service path.
	 */
	record ServicePath(String subscriptionId, String resourceGroup, String workspace, String service) {
	}

	/**
	 * @param notFound a workspace, service or operation that does not exist
	 * @param methodNotAllowed a known path with the wrong method
	 * @param noRoute an unknown path
	 * @param forbidden a caller without a role on the workspace
	 */
	record ErrorCodes(String notFound, String methodNotAllowed, String noRoute, String forbidden) {
	}

}
