package com.acme.tokenbroker.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.system.OutboundTls;
import com.nimbusds.jose.KeySourceException;

import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.util.StringUtils;

/**
 * One JWT decoder per trusted issuer of caller tokens. Each accepts only asymmetric
 * signatures (so {@code alg: none} and an HMAC signed with a public key fail), requires
 * {@code exp} and {@code iat}, checks {@code iss}, the time window against the injected
 * clock with the configured skew, a lifetime ({@code exp - iat}) of at most the issuer's
 * {@code max-token-lifetime}, and that {@code aud} holds one of the issuer's audiences.
 * <p>
 * Keys come from a {@link RateLimitedJwkSource}: a token naming an unknown {@code kid}
 * re-fetches the issuer's key set at most twice per {@link #JWKS_MIN_REFRESH_INTERVAL},
 * not once per request as Spring Security's {@code withJwkSetUri} source does.
 */
final class CallerJwtDecoders {

	/** Connect timeout, and the whole exchange's, of a key-set fetch. */
	static final Duration JWKS_TIMEOUT = Duration.ofSeconds(5);

	/**
	 * The window in which an issuer's key set is fetched at most twice (Nimbus' rate
	 * limit allows a second try).
	 */
	static final Duration JWKS_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);

	private final Map<String, NimbusJwtDecoder> decoders;

	private final List<RateLimitedJwkSource> keySets;

	private CallerJwtDecoders(Map<String, NimbusJwtDecoder> decoders, List<RateLimitedJwkSource> keySets) {
		this.decoders = Map.copyOf(decoders);
		this.keySets = List.copyOf(keySets);
	}

	/**
	 * @return the decoders by issuer
	 */
	Map<String, NimbusJwtDecoder> byIssuer() {
		return this.decoders;
	}

	/**
	 * Fetch every issuer's key set that is not cached yet, as a first caller's token
	 * would (at start, so that it does not wait for it). Each issuer is tried once.
	 * @throws KeySourceException the first issuer's failure, once all were tried
	 */
	void loadKeySets() throws KeySourceException {
		KeySourceException failed = null;
		for (RateLimitedJwkSource keySet : this.keySets) {
			try {
				keySet.load();
			}
			catch (KeySourceException ex) {
				failed = (failed != null) ? failed : ex;
			}
		}
		if (failed != null) {
			throw failed;
		}
	}

	static CallerJwtDecoders create(AccessProperties access, OutboundTls tls, Clock clock) {
		if (access.issuers().isEmpty()) {
			throw new InvalidConfigurationException("broker.access.issuers",
					"must list at least one trusted issuer of caller tokens");
		}
		Map<String, NimbusJwtDecoder> decoders = new LinkedHashMap<>();
		List<RateLimitedJwkSource> keySets = new ArrayList<>();
		for (int i = 0; i < access.issuers().size(); i++) {
			AccessProperties.Issuer issuer = access.issuers().get(i);
			String prefix = "broker.access.issuers[" + i + "]";
			if (!StringUtils.hasText(issuer.issuerUri())) {
				throw new InvalidConfigurationException(prefix + ".issuer-uri", "is required");
			}
			if (issuer.jwkSetUri() == null || !"https".equalsIgnoreCase(issuer.jwkSetUri().getScheme())) {
				throw new InvalidConfigurationException(prefix + ".jwk-set-uri",
						"is required and must be an https URL");
			}
			if (issuer.audiences() == null || issuer.audiences().isEmpty()) {
				throw new InvalidConfigurationException(prefix + ".audiences", "must list at least one audience");
			}
			if (decoders.containsKey(issuer.issuerUri())) {
				throw new InvalidConfigurationException(prefix + ".issuer-uri", "is listed twice");
			}
			if (issuer.maxTokenLifetime().isNegative() || issuer.maxTokenLifetime().isZero()) {
				throw new InvalidConfigurationException(prefix + ".max-token-lifetime", "must be positive, e.g. 24h");
			}
			RateLimitedJwkSource keySet = RateLimitedJwkSource.of(issuer.jwkSetUri(),
					new JdkResourceRetriever(tls.httpClient(JWKS_TIMEOUT), JWKS_TIMEOUT), clock,
					JWKS_MIN_REFRESH_INTERVAL);
			keySets.add(keySet);
			NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSource(keySet).jwsAlgorithms((algorithms) -> {
				algorithms.clear();
				algorithms.addAll(List.of(SignatureAlgorithm.RS256, SignatureAlgorithm.RS384, SignatureAlgorithm.RS512,
						SignatureAlgorithm.PS256, SignatureAlgorithm.PS384, SignatureAlgorithm.PS512,
						SignatureAlgorithm.ES256, SignatureAlgorithm.ES384, SignatureAlgorithm.ES512));
			}).build();
			decoder.setJwtValidator(validator(issuer, access, clock));
			decoders.put(issuer.issuerUri(), decoder);
		}
		return new CallerJwtDecoders(decoders, keySets);
	}

	private static OAuth2TokenValidator<Jwt> validator(AccessProperties.Issuer issuer, AccessProperties access,
			Clock clock) {
		JwtTimestampValidator timestamps = new JwtTimestampValidator(access.clockSkew());
		timestamps.setClock(clock);
		List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
		validators.add(requireExpiry());
		validators.add(lifetime(issuer.maxTokenLifetime(), access.clockSkew(), clock));
		validators.add(timestamps);
		validators.add(new JwtIssuerValidator(issuer.issuerUri()));
		validators.add(audience(issuer.audiences()));
		return new DelegatingOAuth2TokenValidator<>(validators);
	}

	private static OAuth2TokenValidator<Jwt> requireExpiry() {
		return (jwt) -> (jwt.getExpiresAt() != null) ? OAuth2TokenValidatorResult.success() : OAuth2TokenValidatorResult
			.failure(new OAuth2Error("invalid_token", "The token has no exp claim", null));
	}

	/**
	 * {@code iat} present, not in the future (beyond the skew), and {@code exp - iat} at
	 * most {@code max}: a Kubernetes service-account token can be minted to live a year,
	 * and a copy should not work that long.
	 */
	private static OAuth2TokenValidator<Jwt> lifetime(Duration max, Duration skew, Clock clock) {
		return (jwt) -> {
			Instant issuedAt = jwt.getIssuedAt();
			if (issuedAt == null) {
				return OAuth2TokenValidatorResult
					.failure(new OAuth2Error("invalid_token", "The token has no iat claim", null));
			}
			if (issuedAt.isAfter(clock.instant().plus(skew))) {
				return OAuth2TokenValidatorResult
					.failure(new OAuth2Error("invalid_token", "The token's iat is in the future", null));
			}
			if (jwt.getExpiresAt() != null && Duration.between(issuedAt, jwt.getExpiresAt()).compareTo(max) > 0) {
				return OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token",
						"The token lives longer than max-token-lifetime " + max, null));
			}
			return OAuth2TokenValidatorResult.success();
		};
	}

	private static OAuth2TokenValidator<Jwt> audience(List<String> audiences) {
		return (jwt) -> {
			List<String> aud = jwt.getClaimAsStringList(JwtClaimNames.AUD);
			if (aud != null && aud.stream().anyMatch(audiences::contains)) {
				return OAuth2TokenValidatorResult.success();
			}
			return OAuth2TokenValidatorResult
				.failure(new OAuth2Error("invalid_token", "The token is not meant for this broker (aud)", null));
		};
	}

}
