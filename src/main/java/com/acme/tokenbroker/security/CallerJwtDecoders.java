package com.acme.tokenbroker.security;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.system.OutboundTls;

import org.springframework.http.client.JdkClientHttpRequestFactory;
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
import org.springframework.web.client.RestTemplate;

/**
 * One JWT decoder per trusted issuer of caller tokens. Each accepts only asymmetric signatures (so {@code alg: none}
 * and an HMAC signed with a public key fail), requires {@code exp}, checks {@code iss}, the time window against the
 * injected clock with the configured skew, and that {@code aud} holds one of the issuer's audiences.
 */
final class CallerJwtDecoders {

	private CallerJwtDecoders() {
	}

	static Map<String, NimbusJwtDecoder> create(AccessProperties access, OutboundTls tls, Clock clock) {
		if (access.issuers().isEmpty()) {
			throw new InvalidConfigurationException("broker.access.issuers",
					"must list at least one trusted issuer of caller tokens");
		}
		Map<String, NimbusJwtDecoder> decoders = new LinkedHashMap<>();
		for (int i = 0; i < access.issuers().size(); i++) {
			AccessProperties.Issuer issuer = access.issuers().get(i);
			String prefix = "broker.access.issuers[" + i + "]";
			if (!StringUtils.hasText(issuer.issuerUri())) {
				throw new InvalidConfigurationException(prefix + ".issuer-uri", "is required");
			}
			if (issuer.jwkSetUri() == null || !"https".equalsIgnoreCase(issuer.jwkSetUri().getScheme())) {
				throw new InvalidConfigurationException(prefix + ".jwk-set-uri", "is required and must be an https URL");
			}
			if (issuer.audiences() == null || issuer.audiences().isEmpty()) {
				throw new InvalidConfigurationException(prefix + ".audiences", "must list at least one audience");
			}
			if (decoders.containsKey(issuer.issuerUri())) {
				throw new InvalidConfigurationException(prefix + ".issuer-uri", "is listed twice");
			}
			JdkClientHttpRequestFactory requestFactory = new JdkClientHttpRequestFactory(
					tls.httpClientBuilder(java.time.Duration.ofSeconds(5)).build());
			requestFactory.setReadTimeout(java.time.Duration.ofSeconds(5));
			NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSetUri(issuer.jwkSetUri().toString())
				.restOperations(new RestTemplate(requestFactory))
				.jwsAlgorithms((algorithms) -> {
					algorithms.clear();
					algorithms.addAll(List.of(SignatureAlgorithm.RS256, SignatureAlgorithm.RS384,
							SignatureAlgorithm.RS512, SignatureAlgorithm.PS256, SignatureAlgorithm.PS384,
							SignatureAlgorithm.PS512, SignatureAlgorithm.ES256, SignatureAlgorithm.ES384,
							SignatureAlgorithm.ES512));
				})
				.build();
			decoder.setJwtValidator(validator(issuer, access, clock));
			decoders.put(issuer.issuerUri(), decoder);
		}
		return decoders;
	}

	private static OAuth2TokenValidator<Jwt> validator(AccessProperties.Issuer issuer, AccessProperties access,
			Clock clock) {
		JwtTimestampValidator timestamps = new JwtTimestampValidator(access.clockSkew());
		timestamps.setClock(clock);
		List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
		validators.add(requireExpiry());
		validators.add(timestamps);
		validators.add(new JwtIssuerValidator(issuer.issuerUri()));
		validators.add(audience(issuer.audiences()));
		return new DelegatingOAuth2TokenValidator<>(validators);
	}

	private static OAuth2TokenValidator<Jwt> requireExpiry() {
		return (jwt) -> (jwt.getExpiresAt() != null) ? OAuth2TokenValidatorResult.success()
				: OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token", "The token has no exp claim", null));
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
