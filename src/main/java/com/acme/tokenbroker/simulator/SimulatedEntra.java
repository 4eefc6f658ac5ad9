package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The simulated Microsoft Entra ID tenant: the v2.0 token endpoint (client credentials
 * with a secret, a certificate assertion or a federated assertion, checked by
 * {@link ClientAssertions}), the App Service managed-identity endpoint, the tenant's JWKS
 * and OpenID configuration, and on the same listener the {@link SimulatedCluster}'s
 * issuer under {@code /cluster}. Tokens are signed with the {@link TenantTokens} keys.
 * Wire formats follow {@code reference/azure-ml-auth.md} §2 and §2.1.
 * <p>
 * Faults apply to the token endpoint only; key and discovery documents keep answering
 * unless the whole listener is {@code DOWN}.
 */
final class SimulatedEntra implements Listener.Api {

	static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

	/**
	 * The App Service managed-identity endpoint ({@code IDENTITY_ENDPOINT}), served
	 * beside the tenant's.
	 */
	static final String MANAGED_IDENTITY_PATH = "/msi/token";

	static final String MANAGED_IDENTITY_API_VERSION = "2019-08-01";

	private static final Pattern TENANT_PATH = Pattern
		.compile("^/([^/]+)/(oauth2/v2\\.0/token|discovery/v2\\.0/keys|v2\\.0/\\.well-known/openid-configuration)$");

	private final Directory directory;

	private final Supplier<Clock> clock;

	private final Duration accessTokenLifetime;

	private final String identityHeader;

	private final String systemAssignedIdentity;

	private final Duration managedIdentityTokenLifetime;

	private final TenantTokens tenantTokens;

	private final SimulatedCluster cluster;

	private final ClientAssertions clientAssertions;

	private volatile String baseUrl = "https://localhost:0";

	SimulatedEntra(Directory directory, Supplier<Clock> clock, IssuanceObserver observer,
			Duration accessTokenLifetime) {
		this(directory, clock, observer, accessTokenLifetime, null, null, Duration.ofHours(24));
	}

	/**
	 * @param identityHeader the hosting environment's {@code IDENTITY_HEADER}, which the
	 * managed-identity endpoint requires as {@code X-IDENTITY-HEADER}; {@code null} when
	 * no managed identity is registered
	 * @param systemAssignedIdentity the client id of the environment's system-assigned
	 * identity, or {@code null}
	 * @param managedIdentityTokenLifetime the lifetime of managed-identity tokens (Azure
	 * issues them for 24 h)
	 */
	SimulatedEntra(Directory directory, Supplier<Clock> clock, IssuanceObserver observer, Duration accessTokenLifetime,
			String identityHeader, String systemAssignedIdentity, Duration managedIdentityTokenLifetime) {
		this.identityHeader = identityHeader;
		this.systemAssignedIdentity = systemAssignedIdentity;
		this.managedIdentityTokenLifetime = managedIdentityTokenLifetime;
		this.directory = directory;
		this.clock = clock;
		this.accessTokenLifetime = accessTokenLifetime;
		this.tenantTokens = new TenantTokens(directory.tenantId(), this::issuer, clock, observer);
		this.cluster = new SimulatedCluster(this::baseUrl, clock, observer);
		this.clientAssertions = new ClientAssertions(this.cluster, this::tokenEndpoint, clock);
	}

	void bound(int port) {
		this.baseUrl = "https://localhost:" + port;
	}

	String baseUrl() {
		return this.baseUrl;
	}

	String tenantId() {
		return this.directory.tenantId();
	}

	String issuer() {
		return this.baseUrl + "/" + tenantId() + "/v2.0";
	}

	String jwksUri() {
		return this.baseUrl + "/" + tenantId() + "/discovery/v2.0/keys";
	}

	String tokenEndpoint() {
		return this.baseUrl + "/" + tenantId() + "/oauth2/v2.0/token";
	}

	String managedIdentityEndpoint() {
		return this.baseUrl + MANAGED_IDENTITY_PATH;
	}

	String clusterIssuer() {
		return this.cluster.issuer();
	}

	String clusterJwksUri() {
		return this.cluster.jwksUri();
	}

	// ---- Listener.Api

	@Override
	public Operation classify(SimRequest request) {
		Matcher matcher = TENANT_PATH.matcher(request.path());
		if (matcher.matches()) {
			String tail = matcher.group(2);
			if (tail.startsWith("oauth2")) {
				return Operation.ENTRA_TOKEN;
			}
			if (!"GET".equals(request.method())) {
				return Operation.UNKNOWN;
			}
			return tail.startsWith("discovery") ? Operation.ENTRA_KEYS : Operation.ENTRA_DISCOVERY;
		}
		if (!"GET".equals(request.method())) {
			return Operation.UNKNOWN;
		}
		return request.path().equals(MANAGED_IDENTITY_PATH) ? Operation.MANAGED_IDENTITY_TOKEN
				: SimulatedCluster.classify(request.path());
	}

	@Override
	public boolean isFaultable(Operation operation) {
		return operation == Operation.ENTRA_TOKEN || operation == Operation.MANAGED_IDENTITY_TOKEN;
	}

	@Override
	public SimResponse handle(SimRequest request, Operation operation, Fault fault) {
		return switch (operation) {
			case ENTRA_TOKEN -> token(request, fault);
			case MANAGED_IDENTITY_TOKEN -> managedIdentityToken(request, fault);
			case ENTRA_KEYS -> isOwnTenant(request) ? this.tenantTokens.keys() : SimResponse.empty(404);
			case ENTRA_DISCOVERY ->
				isOwnTenant(request) ? SimResponse.json(200, tenantDiscovery()) : SimResponse.empty(404);
			case CLUSTER_KEYS -> this.cluster.keys();
			case CLUSTER_DISCOVERY -> this.cluster.discovery();
			default -> SimResponse.empty(404);
		};
	}

	private boolean isOwnTenant(SimRequest request) {
		Matcher matcher = TENANT_PATH.matcher(request.path());
		return matcher.matches() && matcher.group(1).equals(tenantId());
	}

	// ---- token endpoint

	private SimResponse token(SimRequest request, Fault fault) {
		switch (fault.kind()) {
			case THROTTLED:
				return error(request, 429, EntraError.throttled()).withHeader("Retry-After",
						Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return error(request, fault.status(), EntraError.transientFailure(fault.status()));
			case MALFORMED:
				return SimResponse.text(200, "text/html; charset=utf-8",
						"<html><body>Sign in to your account</body></html>");
			default:
				break;
		}
		try {
			if (!"POST".equals(request.method())) {
				throw new EntraError("invalid_request", 900561, "The endpoint only accepts POST requests.");
			}
			if (!isOwnTenant(request)) {
				throw new EntraError("invalid_request", 90002, "Tenant not found.");
			}
			TokenRequest tokenRequest = TokenRequest.read(request);
			Principal principal = this.directory.principal(tokenRequest.clientId());
			if (principal == null) {
				throw new EntraError("unauthorized_client", 700016, "Application with identifier '"
						+ tokenRequest.clientId() + "' was not found in the directory '" + tenantId() + "'.");
			}
			this.clientAssertions.authenticate(principal, tokenRequest.secret(), tokenRequest.assertionType(),
					tokenRequest.assertion());
			return issueAccessToken(principal, tokenRequest.resource(), tokenRequest.authMethod(), fault);
		}
		catch (EntraError ex) {
			return error(request, 400, ex);
		}
	}

	// ---- managed-identity endpoint (App Service protocol 2019-08-01, as MSAL's
	// AppServiceManagedIdentitySource calls it)

	/**
	 * {@code GET /msi/token?api-version=2019-08-01&resource=...[&client_id=...]} with
	 * {@code X-IDENTITY-HEADER}: a token of the system-assigned identity (the first
	 * managed identity registered) or of the user-assigned one named by
	 * {@code client_id}, with {@code expires_on} in epoch seconds.
	 */
	private SimResponse managedIdentityToken(SimRequest request, Fault fault) {
		switch (fault.kind()) {
			case THROTTLED:
				return managedIdentityError(429, "Too many requests").withHeader("Retry-After",
						Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return managedIdentityError(fault.status(), "Managed identity endpoint error");
			case MALFORMED:
				return SimResponse.text(200, "text/html; charset=utf-8", "<html><body>Bad gateway</body></html>");
			default:
				break;
		}
		String header = request.header("x-identity-header");
		if (this.identityHeader == null || header == null || !MessageDigest
			.isEqual(this.identityHeader.getBytes(StandardCharsets.UTF_8), header.getBytes(StandardCharsets.UTF_8))) {
			return managedIdentityError(401, "The X-IDENTITY-HEADER is missing or does not match this environment");
		}
		Map<String, String> query = request.queryParameters();
		if (!MANAGED_IDENTITY_API_VERSION.equals(query.get("api-version"))) {
			return managedIdentityError(400, "api-version must be " + MANAGED_IDENTITY_API_VERSION);
		}
		String resource = query.get("resource");
		if (resource == null || resource.isBlank()) {
			return managedIdentityError(400, "resource is required");
		}
		if (query.containsKey("mi_res_id") || query.containsKey("principal_id")) {
			return managedIdentityError(400, "only client_id selects a user-assigned identity here");
		}
		String clientId = query.getOrDefault("client_id", this.systemAssignedIdentity);
		Principal.Managed identity = (clientId != null
				&& this.directory.principal(clientId) instanceof Principal.Managed managed) ? managed : null;
		if (identity == null) {
			return managedIdentityError(400, "No managed identity " + ((clientId != null) ? "'" + clientId + "' " : "")
					+ "is assigned to this resource");
		}
		TenantTokens.Validity validity = TenantTokens.Validity.of(now(), this.managedIdentityTokenLifetime, fault);
		String audience = resource.endsWith("/") ? resource.substring(0, resource.length() - 1) : resource;
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("access_token", this.tenantTokens.accessToken(identity, audience, "2", validity));
		body.put("expires_on", Long.toString(validity.expiresAt().getEpochSecond()));
		body.put("resource", resource);
		body.put("token_type", "Bearer");
		body.put("client_id", identity.clientId());
		if (fault.kind() == Fault.Kind.MISSING_FIELDS) {
			body.remove("expires_on");
		}
		return SimResponse.json(200, body).withHeader("Cache-Control", "no-store, no-cache");
	}

	private static SimResponse managedIdentityError(int status, String message) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("statusCode", status);
		body.put("message", message);
		return SimResponse.json(status, body);
	}

	private SimResponse issueAccessToken(Principal principal, String resource, String authMethod, Fault fault) {
		TenantTokens.Validity validity = TenantTokens.Validity.of(now(), this.accessTokenLifetime, fault);
		long expiresIn = Math.max(0, validity.expiresAt().getEpochSecond() - validity.now().getEpochSecond());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("token_type", "Bearer");
		body.put("expires_in", expiresIn);
		body.put("ext_expires_in", expiresIn);
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			body.put("access_token", Padding.oversizedToken());
			return SimResponse.json(200, body);
		}
		body.put("access_token", this.tenantTokens.accessToken(principal, resource, authMethod, validity));
		if (fault.kind() == Fault.Kind.MISSING_FIELDS) {
			body.remove("expires_in");
			body.remove("ext_expires_in");
		}
		return SimResponse.json(200, body)
			.withHeader("Cache-Control", "no-store, no-cache")
			.withHeader("Pragma", "no-cache");
	}

	// ---- tokens for other parts of the simulator

	/**
	 * Verify a bearer sent to MMS or ARM and return the calling application's client id.
	 * @throws Jwts.InvalidTokenException when the token is not acceptable
	 */
	String verifyManagementToken(String token) {
		return this.tenantTokens.verifyManagementToken(token);
	}

	/**
	 * Whether {@code token} is an access token of this tenant for one of
	 * {@code audiences}: see {@link TenantTokens#acceptsAccessToken}.
	 */
	boolean acceptsAccessToken(String token, Set<String> audiences) {
		return this.tenantTokens.acceptsAccessToken(token, audiences);
	}

	String mintCallerToken(String subject, String audience, Map<String, Object> extraClaims, Duration ttl) {
		return this.tenantTokens.mintCallerToken(subject, audience, extraClaims, ttl);
	}

	String mintServiceAccountToken(String namespace, String serviceAccount, String audience, Duration ttl) {
		return this.cluster.mintServiceAccountToken(namespace, serviceAccount, audience, ttl);
	}

	/**
	 * Sign caller tokens with a new key from now on: see
	 * {@link TenantTokens#rotateCallerSigningKey()}.
	 * @return the new key's id
	 */
	String rotateCallerSigningKey() {
		return this.tenantTokens.rotateCallerSigningKey();
	}

	// ---- documents

	private Map<String, Object> tenantDiscovery() {
		Map<String, Object> document = new LinkedHashMap<>();
		document.put("token_endpoint", tokenEndpoint());
		document.put("token_endpoint_auth_methods_supported",
				List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
		document.put("jwks_uri", jwksUri());
		document.put("response_modes_supported", List.of("query", "fragment", "form_post"));
		document.put("subject_types_supported", List.of("pairwise"));
		document.put("id_token_signing_alg_values_supported", List.of("RS256"));
		document.put("response_types_supported", List.of("code", "id_token", "code id_token", "id_token token"));
		document.put("scopes_supported", List.of("openid", "profile", "email", "offline_access"));
		document.put("issuer", issuer());
		document.put("authorization_endpoint", this.baseUrl + "/" + tenantId() + "/oauth2/v2.0/authorize");
		document.put("tenant_region_scope", "EU");
		document.put("cloud_instance_name", "localhost");
		return document;
	}

	// ---- helpers

	private Instant now() {
		return this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
	}

	private SimResponse error(SimRequest request, int status, EntraError error) {
		return error.toResponse(status, request.header("client-request-id"), now(), this.baseUrl);
	}

	@Override
	public String toString() {
		return "SimulatedEntra[" + this.baseUrl + "]";
	}

}
