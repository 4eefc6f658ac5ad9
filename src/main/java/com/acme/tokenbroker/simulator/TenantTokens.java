package com.acme.tokenbroker.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;

/**
 * The simulated tenant's signing keys and the tokens signed and checked with them: the
 * access tokens of the token and managed-identity endpoints, the caller tokens tests
 * mint, and the checks the workspace's APIs make of the bearers they receive.
 */
final class TenantTokens {

	private static final Set<String> MANAGEMENT_AUDIENCES = Set.of("https://management.azure.com",
			"https://management.azure.com/", "https://management.core.windows.net",
			"https://management.core.windows.net/");

	private final SigningKey tenantKey = SigningKey.generate("tenant-" + UUID.randomUUID());

	/**
	 * A key that signs caller tokens after {@link #rotateCallerSigningKey()}, published
	 * beside the tenant key.
	 */
	private volatile SigningKey rotatedCallerKey;

	private final String tenantId;

	private final Supplier<String> issuer;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	/**
	 * @param issuer the tenant's issuer, known once its listener is bound
	 */
	TenantTokens(String tenantId, Supplier<String> issuer, Supplier<Clock> clock, IssuanceObserver observer) {
		this.tenantId = tenantId;
		this.issuer = issuer;
		this.clock = clock;
		this.observer = observer;
	}

	/**
	 * Sign an application access token for {@code principal} and tell the observer.
	 * @param authMethod the {@code appidacr}: 1 for a client secret, 2 for an assertion
	 * or a managed identity
	 */
	String accessToken(Principal principal, String audience, String authMethod, Validity validity) {
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(this.issuer.get())
			.audience(audience)
			.subject(principal.objectId())
			.issueTime(Date.from(validity.issuedAt()))
			.notBeforeTime(Date.from(validity.issuedAt()))
			.expirationTime(Date.from(validity.expiresAt()))
			.claim("appid", principal.clientId())
			.claim("azp", principal.clientId())
			.claim("appidacr", authMethod)
			.claim("azpacr", authMethod)
			.claim("idtyp", "app")
			.claim("oid", principal.objectId())
			.claim("tid", this.tenantId)
			.claim("uti", UUID.randomUUID().toString())
			.claim("ver", "2.0")
			.build();
		String token = Jwts.sign(this.tenantKey.get(), claims);
		this.observer.issued(token);
		return token;
	}

	/**
	 * Verify a bearer sent to MMS or ARM and return the calling application's client id.
	 * @throws Jwts.InvalidTokenException when the token is not acceptable
	 */
	String verifyManagementToken(String token) {
		JWTClaimsSet claims = Jwts.verify(token, this.tenantKey.get());
		if (!this.issuer.get().equals(claims.getIssuer())) {
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
			return this.issuer.get().equals(claims.getIssuer()) && claims.getAudience() != null
					&& claims.getAudience().stream().anyMatch(audiences::contains) && Jwts.isWithinTimes(claims, now());
		}
		catch (Jwts.InvalidTokenException ex) {
			return false;
		}
	}

	String mintCallerToken(String subject, String audience, Map<String, Object> extraClaims, Duration ttl) {
		Instant now = now();
		JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issuer(this.issuer.get())
			.subject(subject)
			.audience(audience)
			.issueTime(Date.from(now))
			.notBeforeTime(Date.from(now))
			.expirationTime(Date.from(now.plus(ttl)))
			.claim("tid", this.tenantId)
			.claim("ver", "2.0")
			.claim("uti", UUID.randomUUID().toString());
		extraClaims.forEach(builder::claim);
		SigningKey rotated = this.rotatedCallerKey;
		String token = Jwts.sign(((rotated != null) ? rotated : this.tenantKey).get(), builder.build());
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

	/**
	 * The tenant's JWKS: the tenant key, and the rotated caller key once there is one.
	 */
	SimResponse keys() {
		SigningKey rotated = this.rotatedCallerKey;
		List<JWK> keys = (rotated != null) ? List.of(this.tenantKey.get().toPublicJWK(), rotated.get().toPublicJWK())
				: List.of(this.tenantKey.get().toPublicJWK());
		return SimResponse.json(200, new JWKSet(keys).toJSONObject(true));
	}

	private Instant now() {
		return this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
	}

	/**
	 * The times of a token issued now for {@code lifetime}, or, under an
	 * {@link Fault.Kind#EXPIRED} fault, of one that expired a minute ago.
	 */
	record Validity(Instant now, Instant issuedAt, Instant expiresAt) {

		static Validity of(Instant now, Duration lifetime, Fault fault) {
			if (fault.kind() == Fault.Kind.EXPIRED) {
				Instant expiresAt = now.minusSeconds(60);
				return new Validity(now, expiresAt.minus(lifetime), expiresAt);
			}
			return new Validity(now, now, now.plus(lifetime));
		}

	}

}
