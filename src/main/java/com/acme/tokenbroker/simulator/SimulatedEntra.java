package com.acme.tokenbroker.simulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * The simulated Microsoft Entra ID tenant: the v2.0 token endpoint (client credentials
 * with a secret, a certificate assertion or a federated assertion), the tenant's JWKS and
 * OpenID configuration, and the simulated AKS cluster issuer under {@code /cluster}. Wire
 * formats follow {@code reference/azure-ml-auth.md} §2 and §2.1.
 * <p>
 * Faults apply to the token endpoint only; key and discovery documents keep answering
 * unless the whole listener is {@code DOWN}.
 */
final class SimulatedEntra implements Listener.Api {

	static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

	static final String CLUSTER_PATH = "/cluster";

	/**
	 * The App Service managed-identity endpoint ({@code IDENTITY_ENDPOINT}), served
	 * beside the tenant's.
	 */
	static final String MANAGED_IDENTITY_PATH = "/msi/token";

	static final String MANAGED_IDENTITY_API_VERSION = "2019-08-01";

	private static final String DEFAULT_SUFFIX = "/.default";

	private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");

	private static final Set<String> MANAGEMENT_AUDIENCES = Set.of("https://management.azure.com",
			"https://management.azure.com/", "https://management.core.windows.net",
			"https://management.core.windows.net/");

	private static final Pattern TENANT_PATH = Pattern
		.compile("^/([^/]+)/(oauth2/v2\\.0/token|discovery/v2\\.0/keys|v2\\.0/\\.well-known/openid-configuration)$");

	private static final DateTimeFormatter ERROR_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
		.withZone(ZoneOffset.UTC);

	private final Directory directory;

	private final SigningKey tenantKey;

	private final SigningKey clusterKey;

	/**
	 * A key that signs caller tokens after {@link #rotateCallerSigningKey()}, published
	 * beside the tenant key.
	 */
	private volatile SigningKey rotatedCallerKey;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	private final Duration accessTokenLifetime;

	private final String identityHeader;

	private final String systemAssignedIdentity;

	private final Duration managedIdentityTokenLifetime;

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
		this.observer = observer;
		this.accessTokenLifetime = accessTokenLifetime;
		this.tenantKey = SigningKey.generate("tenant-" + UUID.randomUUID());
		this.clusterKey = SigningKey.generate("cluster-" + UUID.randomUUID());
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
		return this.baseUrl + CLUSTER_PATH;
	}

	String clusterJwksUri() {
		return clusterIssuer() + "/openid/v1/jwks";
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
		if ("GET".equals(request.method())) {
			if (request.path().equals(MANAGED_IDENTITY_PATH)) {
				return Operation.MANAGED_IDENTITY_TOKEN;
			}
			if (request.path().equals(CLUSTER_PATH + "/.well-known/openid-configuration")) {
				return Operation.CLUSTER_DISCOVERY;
			}
			if (request.path().equals(CLUSTER_PATH + "/openid/v1/jwks")) {
				return Operation.CLUSTER_KEYS;
			}
		}
		return Operation.UNKNOWN;
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
			case ENTRA_KEYS -> isOwnTenant(request) ? tenantKeys() : SimResponse.empty(404);
			case ENTRA_DISCOVERY ->
				isOwnTenant(request) ? SimResponse.json(200, tenantDiscovery()) : SimResponse.empty(404);
			case CLUSTER_KEYS -> keys(this.clusterKey.get());
			case CLUSTER_DISCOVERY -> SimResponse.json(200, clusterDiscovery());
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
				return error(request, 429, "temporarily_unavailable", 90033,
						"A transient error has occurred. Please try again.")
					.withHeader("Retry-After", Long.toString(fault.duration().toSeconds()));
			case ERROR:
				return error(request, fault.status(), errorName(fault.status()), 90033,
						"A transient error has occurred. Please try again.");
			case MALFORMED:
				return SimResponse.text(200, "text/html; charset=utf-8",
						"<html><body>Sign in to your account</body></html>");
			default:
				break;
		}
		if (!"POST".equals(request.method())) {
			return error(request, 400, "invalid_request", 900561, "The endpoint only accepts POST requests.");
		}
		if (!isOwnTenant(request)) {
			return error(request, 400, "invalid_request", 90002, "Tenant not found.");
		}
		Map<String, String> form;
		try {
			form = form(request);
		}
		catch (IllegalArgumentException ex) {
			return error(request, 400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.");
		}
		String grantType = form.get("grant_type");
		if (grantType == null) {
			return missing(request, "grant_type");
		}
		if (!"client_credentials".equals(grantType)) {
			return error(request, 400, "unsupported_grant_type", 70003,
					"The app requested an unsupported grant type '" + grantType + "'.");
		}
		BasicCredentials basic = BasicCredentials.from(request.header("authorization"));
		String clientId = form.get("client_id");
		if (basic != null) {
			if (clientId != null && !clientId.equals(basic.clientId())) {
				return error(request, 400, "invalid_request", 9002313,
						"Invalid request. The client_id does not match the Basic credentials.");
			}
			clientId = basic.clientId();
		}
		if (clientId == null) {
			return missing(request, "client_id");
		}
		String scope = form.get("scope");
		if (scope == null) {
			return missing(request, "scope");
		}
		// MSAL adds the OpenID Connect scopes to every request; Entra ignores them here.
		List<String> scopes = Arrays.stream(scope.trim().split("\\s+"))
			.filter((value) -> !OIDC_SCOPES.contains(value))
			.toList();
		if (scopes.size() != 1 || !scopes.get(0).endsWith(DEFAULT_SUFFIX)
				|| scopes.get(0).length() == DEFAULT_SUFFIX.length()) {
			return error(request, 400, "invalid_scope", 1002012, "The provided value for scope is not valid. "
					+ "Client credential flows must have a scope value with /.default suffixed to the resource identifier.");
		}
		String resource = scopes.get(0).substring(0, scopes.get(0).length() - DEFAULT_SUFFIX.length());
		Principal principal = this.directory.principal(clientId);
		if (principal == null) {
			return error(request, 400, "unauthorized_client", 700016, "Application with identifier '" + clientId
					+ "' was not found in the directory '" + tenantId() + "'.");
		}
		String secret = (basic != null) ? basic.secret() : form.get("client_secret");
		String assertionType = form.get("client_assertion_type");
		String assertion = form.get("client_assertion");
		if (secret != null && (assertion != null || assertionType != null)) {
			return error(request, 400, "invalid_request", 9002313,
					"Invalid request. Only one client authentication method may be used.");
		}
		Rejection rejection;
		String authMethod;
		if (assertion != null || assertionType != null) {
			if (!JWT_BEARER.equals(assertionType) || assertion == null) {
				return error(request, 400, "invalid_request", 9002313,
						"Invalid request. client_assertion_type must be '" + JWT_BEARER + "' with a client_assertion.");
			}
			rejection = checkAssertion(principal, assertion);
			authMethod = "2";
		}
		else if (secret != null) {
			rejection = checkSecret(principal, secret);
			authMethod = "1";
		}
		else {
			return error(request, 400, "invalid_client", 7000218,
					"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
		}
		if (rejection != null) {
			return error(request, 400, rejection.error(), rejection.code(), rejection.description());
		}
		return issueAccessToken(principal, resource, authMethod, fault);
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
		Instant now = now();
		Instant issuedAt = now;
		Instant expiresAt = now.plus(this.managedIdentityTokenLifetime);
		if (fault.kind() == Fault.Kind.EXPIRED) {
			expiresAt = now.minusSeconds(60);
			issuedAt = expiresAt.minus(this.managedIdentityTokenLifetime);
		}
		String audience = resource.endsWith("/") ? resource.substring(0, resource.length() - 1) : resource;
		String accessToken = mintAccessToken(identity, audience, "2", issuedAt, expiresAt);
		this.observer.issued(accessToken);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("access_token", accessToken);
		body.put("expires_on", Long.toString(expiresAt.getEpochSecond()));
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
		Instant now = now();
		Instant issuedAt = now;
		Instant expiresAt = now.plus(this.accessTokenLifetime);
		if (fault.kind() == Fault.Kind.EXPIRED) {
			expiresAt = now.minusSeconds(60);
			issuedAt = expiresAt.minus(this.accessTokenLifetime);
		}
		long expiresIn = Math.max(0, expiresAt.getEpochSecond() - now.getEpochSecond());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("token_type", "Bearer");
		body.put("expires_in", expiresIn);
		body.put("ext_expires_in", expiresIn);
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			body.put("access_token", Padding.oversizedToken());
			return SimResponse.json(200, body);
		}
		String accessToken = mintAccessToken(principal, resource, authMethod, issuedAt, expiresAt);
		this.observer.issued(accessToken);
		body.put("access_token", accessToken);
		if (fault.kind() == Fault.Kind.MISSING_FIELDS) {
			body.remove("expires_in");
			body.remove("ext_expires_in");
		}
		return SimResponse.json(200, body)
			.withHeader("Cache-Control", "no-store, no-cache")
			.withHeader("Pragma", "no-cache");
	}

	private String mintAccessToken(Principal principal, String resource, String authMethod, Instant issuedAt,
			Instant expiresAt) {
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer())
			.audience(resource)
			.subject(principal.objectId())
			.issueTime(Date.from(issuedAt))
			.notBeforeTime(Date.from(issuedAt))
			.expirationTime(Date.from(expiresAt))
			.claim("appid", principal.clientId())
			.claim("azp", principal.clientId())
			.claim("appidacr", authMethod)
			.claim("azpacr", authMethod)
			.claim("idtyp", "app")
			.claim("oid", principal.objectId())
			.claim("tid", tenantId())
			.claim("uti", UUID.randomUUID().toString())
			.claim("ver", "2.0")
			.build();
		return Jwts.sign(this.tenantKey.get(), claims);
	}

	private Rejection checkSecret(Principal principal, String secret) {
		if (principal instanceof Principal.Secret registered && MessageDigest
			.isEqual(registered.secret().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
			return null;
		}
		return new Rejection("invalid_client", 7000215,
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
						+ "not the client secret ID, for a secret added to app '" + principal.clientId() + "'.");
	}

	private Rejection checkAssertion(Principal principal, String assertion) {
		try {
			if (principal instanceof Principal.Certificate certificate) {
				return checkCertificateAssertion(certificate, assertion);
			}
			if (principal instanceof Principal.Federated federated) {
				return checkFederatedAssertion(federated, assertion);
			}
			return new Rejection("invalid_client", 700027,
					"Client assertion failed signature validation: no certificate is registered for the application.");
		}
		catch (Jwts.InvalidTokenException ex) {
			return new Rejection("invalid_client", 50027, "JWT token is invalid or malformed.");
		}
	}

	private Rejection checkCertificateAssertion(Principal.Certificate principal, String assertion) {
		SignedJWT jwt = Jwts.parse(assertion);
		JWSHeader header = jwt.getHeader();
		if (!JWSAlgorithm.RS256.equals(header.getAlgorithm()) && !JWSAlgorithm.PS256.equals(header.getAlgorithm())) {
			return new Rejection("invalid_client", 700027,
					"Client assertion failed signature validation: unsupported algorithm.");
		}
		@SuppressWarnings("deprecation")
		Base64URL sha1 = header.getX509CertThumbprint();
		Base64URL sha256 = header.getX509CertSHA256Thumbprint();
		byte[] der;
		try {
			der = principal.certificate().getEncoded();
		}
		catch (CertificateEncodingException ex) {
			throw new IllegalStateException(ex);
		}
		boolean sha1Matches = sha1 == null || isThumbprint(sha1, digest("SHA-1", der));
		boolean sha256Matches = sha256 == null || isThumbprint(sha256, digest("SHA-256", der));
		if ((sha1 == null && sha256 == null) || !sha1Matches || !sha256Matches) {
			return new Rejection("invalid_client", 700027,
					"Client assertion failed signature validation: the certificate thumbprint is not registered.");
		}
		try {
			if (!jwt.verify(new RSASSAVerifier((RSAPublicKey) principal.certificate().getPublicKey()))) {
				return new Rejection("invalid_client", 700027, "Client assertion failed signature validation.");
			}
		}
		catch (JOSEException | ClassCastException ex) {
			return new Rejection("invalid_client", 700027, "Client assertion failed signature validation.");
		}
		JWTClaimsSet claims = claims(jwt);
		if (!principal.clientId().equals(claims.getIssuer()) || !principal.clientId().equals(claims.getSubject())) {
			return new Rejection("invalid_client", 700021,
					"Client assertion application identifier doesn't match 'client_id' parameter.");
		}
		if (!Jwts.hasAudience(claims, tokenEndpoint())
				&& !Jwts.hasAudience(claims, tokenEndpoint().replace("//localhost:", "//127.0.0.1:"))) {
			return new Rejection("invalid_client", 700027,
					"Client assertion audience claim does not match the token endpoint.");
		}
		// The client builds the assertion from its own wall clock, which cannot follow
		// the
		// simulator's virtual time: accept it if it is valid by either clock.
		if (!Jwts.isWithinTimes(claims, now()) && !Jwts.isWithinTimes(claims, Instant.now())) {
			return new Rejection("invalid_client", 700024, "Client assertion is not within its valid time range.");
		}
		return null;
	}

	private Rejection checkFederatedAssertion(Principal.Federated principal, String assertion) {
		SignedJWT jwt = Jwts.parse(assertion);
		JWTClaimsSet unverified = claims(jwt);
		if (!clusterIssuer().equals(unverified.getIssuer())) {
			return new Rejection("invalid_client", 700211,
					"No matching federated identity record found for presented assertion issuer '"
							+ unverified.getIssuer() + "'.");
		}
		JWTClaimsSet claims = Jwts.verify(assertion, this.clusterKey.get());
		if (!Jwts.hasAudience(claims, TOKEN_EXCHANGE_AUDIENCE)) {
			return new Rejection("invalid_client", 700212,
					"No matching federated identity record found for presented assertion audience.");
		}
		if (!principal.subject().equals(claims.getSubject())) {
			return new Rejection("invalid_client", 70021,
					"No matching federated identity record found for presented assertion. Assertion Issuer: '"
							+ claims.getIssuer() + "'. Assertion Subject: '" + claims.getSubject() + "'.");
		}
		if (!Jwts.isWithinTimes(claims, now())) {
			return new Rejection("invalid_client", 700024, "Client assertion is not within its valid time range.");
		}
		return null;
	}

	// ---- tokens for other parts of the simulator

	/**
	 * Verify a bearer sent to MMS or ARM and return the calling application's client id.
	 * @throws Jwts.InvalidTokenException when the token is not acceptable
	 */
	String verifyManagementToken(String token) {
		JWTClaimsSet claims = Jwts.verify(token, this.tenantKey.get());
		if (!issuer().equals(claims.getIssuer())) {
			throw new Jwts.InvalidTokenException("unexpected issuer");
		}
		if (claims.getAudience() == null || claims.getAudience().stream().noneMatch(MANAGEMENT_AUDIENCES::contains)) {
			throw new Jwts.InvalidTokenException("token audience is not Azure Resource Manager");
		}
		Jwts.checkTimes(claims, now());
		Object appId = claims.getClaim("appid");
		if (!(appId instanceof String)) {
			appId = claims.getClaim("azp");
		}
		if (!(appId instanceof String)) {
			throw new Jwts.InvalidTokenException("token has no application id");
		}
		return (String) appId;
	}

	/**
	 * Whether {@code token} is an access token of this tenant (signature, issuer) for one
	 * of {@code audiences}, valid by the simulator's clock: what an {@code AADToken}
	 * online endpoint checks when scoring.
	 */
	boolean acceptsAccessToken(String token, Set<String> audiences) {
		try {
			JWTClaimsSet claims = Jwts.verify(token, this.tenantKey.get());
			return issuer().equals(claims.getIssuer()) && claims.getAudience() != null
					&& claims.getAudience().stream().anyMatch(audiences::contains) && Jwts.isWithinTimes(claims, now());
		}
		catch (Jwts.InvalidTokenException ex) {
			return false;
		}
	}

	String mintCallerToken(String subject, String audience, Map<String, Object> extraClaims, Duration ttl) {
		Instant now = now();
		JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issuer(issuer())
			.subject(subject)
			.audience(audience)
			.issueTime(Date.from(now))
			.notBeforeTime(Date.from(now))
			.expirationTime(Date.from(now.plus(ttl)))
			.claim("tid", tenantId())
			.claim("ver", "2.0")
			.claim("uti", UUID.randomUUID().toString());
		extraClaims.forEach(builder::claim);
		SigningKey rotated = this.rotatedCallerKey;
		String token = Jwts.sign(((rotated != null) ? rotated : this.tenantKey).get(), builder.build());
		this.observer.issued(token);
		return token;
	}

	String mintServiceAccountToken(String namespace, String serviceAccount, String audience, Duration ttl) {
		Instant now = now();
		Map<String, Object> kubernetes = new LinkedHashMap<>();
		kubernetes.put("namespace", namespace);
		kubernetes.put("serviceaccount",
				Map.of("name", serviceAccount, "uid",
						UUID.nameUUIDFromBytes((namespace + "/" + serviceAccount).getBytes(StandardCharsets.UTF_8))
							.toString()));
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(clusterIssuer())
			.subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
			.audience(List.of(audience))
			.issueTime(Date.from(now))
			.notBeforeTime(Date.from(now))
			.expirationTime(Date.from(now.plus(ttl)))
			.claim("kubernetes.io", kubernetes)
			.build();
		String token = Jwts.sign(this.clusterKey.get(), claims);
		this.observer.issued(token);
		return token;
	}

	/**
	 * Sign caller tokens with a new key from now on, published in the tenant's JWKS
	 * beside the old one, as Entra does when it rolls its keys; the simulator's own
	 * access tokens keep the tenant key.
	 * @return the new key's id
	 */
	String rotateCallerSigningKey() {
		SigningKey key = SigningKey.generate("tenant-" + UUID.randomUUID());
		this.rotatedCallerKey = key;
		return key.get().getKeyID();
	}

	// ---- documents

	private SimResponse tenantKeys() {
		SigningKey rotated = this.rotatedCallerKey;
		if (rotated == null) {
			return keys(this.tenantKey.get());
		}
		return SimResponse.json(200,
				new JWKSet(List.of(this.tenantKey.get().toPublicJWK(), rotated.get().toPublicJWK()))
					.toJSONObject(true));
	}

	private SimResponse keys(RSAKey key) {
		return SimResponse.json(200, new JWKSet(key.toPublicJWK()).toJSONObject(true));
	}

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

	private Map<String, Object> clusterDiscovery() {
		Map<String, Object> document = new LinkedHashMap<>();
		document.put("issuer", clusterIssuer());
		document.put("jwks_uri", clusterJwksUri());
		document.put("response_types_supported", List.of("id_token"));
		document.put("subject_types_supported", List.of("public"));
		document.put("id_token_signing_alg_values_supported", List.of("RS256"));
		return document;
	}

	// ---- helpers

	private Instant now() {
		return this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
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

	private SimResponse missing(SimRequest request, String parameter) {
		return error(request, 400, "invalid_request", 900144,
				"The request body must contain the following parameter: '" + parameter + "'.");
	}

	private static String errorName(int status) {
		if (status == 503) {
			return "temporarily_unavailable";
		}
		return (status >= 500) ? "server_error" : "invalid_request";
	}

	private SimResponse error(SimRequest request, int status, String error, int code, String description) {
		String traceId = UUID.randomUUID().toString();
		String correlationId = correlationId(request.header("client-request-id"));
		String timestamp = ERROR_TIMESTAMP.format(now());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("error", error);
		body.put("error_description", "AADSTS" + code + ": " + description + " Trace ID: " + traceId
				+ " Correlation ID: " + correlationId + " Timestamp: " + timestamp);
		body.put("error_codes", List.of(code));
		body.put("timestamp", timestamp);
		body.put("trace_id", traceId);
		body.put("correlation_id", correlationId);
		body.put("error_uri", this.baseUrl + "/error?code=" + code);
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

	private static JWTClaimsSet claims(SignedJWT jwt) {
		try {
			return jwt.getJWTClaimsSet();
		}
		catch (ParseException ex) {
			throw new Jwts.InvalidTokenException("claims are not JSON");
		}
	}

	/**
	 * MSAL4J puts standard (not URL-safe) Base64 in {@code x5t} and {@code x5t#S256} and
	 * Entra accepts it, so both alphabets are compared here.
	 */
	private static boolean isThumbprint(Base64URL value, byte[] expected) {
		String normalized = value.toString().replace('+', '-').replace('/', '_').replace("=", "");
		return normalized.equals(Base64URL.encode(expected).toString());
	}

	private static byte[] digest(String algorithm, byte[] data) {
		try {
			return MessageDigest.getInstance(algorithm).digest(data);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public String toString() {
		return "SimulatedEntra[" + this.baseUrl + "]";
	}

	private record Rejection(String error, int code, String description) {
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
