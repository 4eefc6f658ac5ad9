package com.acme.tokenbroker.simulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A client-credentials request to the tenant's token endpoint, read from its form and,
 * for {@code client_secret_basic}, from its {@code Authorization} header.
 *
 * @param resource the resource of the one {@code .default} scope
 * @param secret the client secret from the form or the Basic credentials, or {@code null}
 * @param assertionType the {@code client_assertion_type}, or {@code null}
 * @param assertion the {@code client_assertion}, or {@code null}
 */
record TokenRequest(String clientId, String resource, String secret, String assertionType, String assertion) {

	private static final String DEFAULT_SUFFIX = "/.default";

	private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");

	/**
	 * Read the request's parameters, checked in the order Entra checks them.
	 * @throws EntraError when the form is malformed, a parameter is missing, or the grant
	 * type or scope is not one of a client-credentials request
	 */
	static TokenRequest read(SimRequest request) {
		Map<String, String> form;
		try {
			form = form(request);
		}
		catch (IllegalArgumentException ex) {
			throw new EntraError("invalid_request", 9002313, "Invalid request. Request is malformed or invalid.");
		}
		String grantType = form.get("grant_type");
		if (grantType == null) {
			throw EntraError.missing("grant_type");
		}
		if (!"client_credentials".equals(grantType)) {
			throw new EntraError("unsupported_grant_type", 70003,
					"The app requested an unsupported grant type '" + grantType + "'.");
		}
		BasicCredentials basic = BasicCredentials.from(request.header("authorization"));
		String clientId = form.get("client_id");
		if (basic != null) {
			if (clientId != null && !clientId.equals(basic.clientId())) {
				throw new EntraError("invalid_request", 9002313,
						"Invalid request. The client_id does not match the Basic credentials.");
			}
			clientId = basic.clientId();
		}
		if (clientId == null) {
			throw EntraError.missing("client_id");
		}
		String scope = form.get("scope");
		if (scope == null) {
			throw EntraError.missing("scope");
		}
		String secret = (basic != null) ? basic.secret() : form.get("client_secret");
		return new TokenRequest(clientId, resource(scope), secret, form.get("client_assertion_type"),
				form.get("client_assertion"));
	}

	/**
	 * The token's {@code appidacr}: 1 for a client secret, 2 for a certificate or
	 * federated assertion.
	 */
	String authMethod() {
		return (this.secret != null) ? "1" : "2";
	}

	private static String resource(String scope) {
		// MSAL adds the OpenID Connect scopes to every request; Entra ignores them here.
		List<String> scopes = Arrays.stream(scope.trim().split("\\s+"))
			.filter((value) -> !OIDC_SCOPES.contains(value))
			.toList();
		if (scopes.size() != 1 || !scopes.get(0).endsWith(DEFAULT_SUFFIX)
				|| scopes.get(0).length() == DEFAULT_SUFFIX.length()) {
			throw new EntraError("invalid_scope", 1002012, "The provided value for scope is not valid. "
					+ "Client credential flows must have a scope value with /.default suffixed to the resource identifier.");
		}
		return scopes.get(0).substring(0, scopes.get(0).length() - DEFAULT_SUFFIX.length());
	}

	private static Map<String, String> form(SimRequest request) {
		String contentType = request.contentType();
		if (contentType == null
				|| !contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
			return Map.of();
		}
		Map<String, String> form = new LinkedHashMap<>();
		String body = request.bodyText();
		if (body.isEmpty()) {
			return form;
		}
		for (String pair : body.split("&")) {
			Map<String, String> one = SimRequest.decodeForm(pair);
			for (Map.Entry<String, String> entry : one.entrySet()) {
				if (form.putIfAbsent(entry.getKey(), entry.getValue()) != null) {
					throw new IllegalArgumentException("repeated parameter");
				}
			}
		}
		return form;
	}

	@Override
	public String toString() {
		return "TokenRequest[clientId=" + this.clientId + ", resource=" + this.resource + ", secret="
				+ ((this.secret != null) ? "(redacted)" : "null") + ", assertionType=" + this.assertionType
				+ ", assertion=" + ((this.assertion != null) ? "(redacted)" : "null") + "]";
	}

	private record BasicCredentials(String clientId, String secret) {

		static BasicCredentials from(String authorization) {
			if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
				return null;
			}
			try {
				String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
						StandardCharsets.UTF_8);
				int colon = decoded.indexOf(':');
				if (colon < 0) {
					return null;
				}
				return new BasicCredentials(URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
						URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8));
			}
			catch (IllegalArgumentException ex) {
				return null;
			}
		}

		@Override
		public String toString() {
			return "BasicCredentials[clientId=" + this.clientId + ", secret=(redacted)]";
		}

	}

}
