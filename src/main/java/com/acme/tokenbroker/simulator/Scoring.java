package com.acme.tokenbroker.simulator;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The data plane of one region: {@code POST /score/{workspace}/{service}} accepts only
 * the credential of the service's current {@link AuthMode} (a service token of this
 * region, a current key, or an Entra access token for Azure ML) and answers a
 * deterministic score.
 */
final class Scoring {

	/** The audience of Entra access tokens an {@code AADToken} endpoint accepts (§4). */
	static final String ML_AUDIENCE = "https://ml.azure.com";

	private static final Set<String> ML_AUDIENCES = Set.of(ML_AUDIENCE, ML_AUDIENCE + "/");

	private static final Pattern SCORE_PATH = Pattern.compile("^/score/([^/]+)/([^/]+)$");

	private final RegionContext region;

	private final ServiceTokens tokens;

	Scoring(RegionContext region, ServiceTokens tokens) {
		this.region = region;
		this.tokens = tokens;
	}

	static boolean isScoringPath(String path) {
		return SCORE_PATH.matcher(path).matches();
	}

	/**
	 * {@link Operation#SCORE} for a {@code POST} to a scoring path,
	 * {@link Operation#UNKNOWN} otherwise.
	 */
	static Operation classify(SimRequest request) {
		return (isScoringPath(request.path()) && "POST".equals(request.method())) ? Operation.SCORE : Operation.UNKNOWN;
	}

	SimResponse score(SimRequest request, Fault fault) {
		switch (fault.kind()) {
			case THROTTLED:
				return error(429, "TooManyRequests", "The request was throttled.").withHeader("Retry-After",
						Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return error(fault.status(), ControlPlaneGate.errorCode(fault.status()),
						"The service encountered a simulated error.");
			case MALFORMED:
				return SimResponse.text(200, "text/html; charset=utf-8", "<html><body>upstream proxy</body></html>");
			default:
				break;
		}
		Matcher path = SCORE_PATH.matcher(request.path());
		if (!path.matches()) {
			return error(404, "NotFound", "No route matches the request path.");
		}
		Directory.Workspace workspace = this.region.directory().workspace(path.group(1));
		Directory.Service service = (workspace != null && workspace.region().equals(this.region.region()))
				? workspace.service(path.group(2)) : null;
		if (service == null) {
			return error(404, "NotFound", "No service " + path.group(2) + " in workspace " + path.group(1) + ".");
		}
		if (!accepts(workspace, service, ControlPlaneGate.bearerOrNull(request))) {
			return error(401, "Unauthorized",
					"The credential is not valid for " + service.name() + " (authentication: "
							+ service.auth().mode().armValue() + ").")
				.withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("score", Math.floorMod(Arrays.hashCode(request.body()), 1000) / 1000.0);
		return SimResponse.json(200, body);
	}

	private boolean accepts(Directory.Workspace workspace, Directory.Service service, String credential) {
		if (credential == null || credential.isEmpty()) {
			return false;
		}
		return switch (service.auth().mode()) {
			case AML_TOKEN -> this.tokens.accepts(workspace, service.name(), credential);
			case KEY -> service.auth().isCurrentKey(credential);
			case AAD_TOKEN -> this.region.entra().acceptsAccessToken(credential, ML_AUDIENCES);
		};
	}

	private static SimResponse error(int status, String code, String message) {
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("code", code);
		error.put("message", message);
		return SimResponse.json(status, Map.of("error", error));
	}

}
