package com.acme.tokenbroker.simulator;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Signing and checking of the JWTs the simulator issues, with Nimbus JOSE+JWT. Failures
 * are reported as {@link InvalidTokenException} whose message never quotes the token.
 */
final class Jwts {

	/** Tolerance for {@code nbf} and {@code iat} slightly in the future. */
	static final Duration NOT_BEFORE_SKEW = Duration.ofMinutes(5);

	private Jwts() {
	}

	static RSAKey generateKey(String keyId) {
		try {
			return new RSAKeyGenerator(2048).keyID(keyId)
				.keyUse(KeyUse.SIGNATURE)
				.algorithm(JWSAlgorithm.RS256)
				.generate();
		}
		catch (JOSEException ex) {
			throw new IllegalStateException("Cannot generate an RSA key", ex);
		}
	}

	static String sign(RSAKey key, JWTClaimsSet claims) {
		try {
			JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
				.keyID(key.getKeyID())
				.build();
			SignedJWT jwt = new SignedJWT(header, claims);
			jwt.sign(new RSASSASigner(key));
			return jwt.serialize();
		}
		catch (JOSEException ex) {
			throw new IllegalStateException("Cannot sign a JWT", ex);
		}
	}

	static SignedJWT parse(String token) {
		if (token == null || token.isBlank()) {
			throw new InvalidTokenException("no token");
		}
		try {
			return SignedJWT.parse(token);
		}
		catch (ParseException ex) {
			throw new InvalidTokenException("token is not a signed JWT");
		}
	}

	/**
	 * Check an RS256 token's key id and signature against {@code key} and return its
	 * claims.
	 */
	static JWTClaimsSet verify(String token, RSAKey key) {
		SignedJWT jwt = parse(token);
		if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
			throw new InvalidTokenException("unexpected algorithm");
		}
		if (!key.getKeyID().equals(jwt.getHeader().getKeyID())) {
			throw new InvalidTokenException("unknown signing key");
		}
		try {
			if (!jwt.verify(new RSASSAVerifier(key.toRSAPublicKey()))) {
				throw new InvalidTokenException("signature does not verify");
			}
			return jwt.getJWTClaimsSet();
		}
		catch (JOSEException | ParseException ex) {
			throw new InvalidTokenException("signature does not verify");
		}
	}

	/**
	 * Check {@code exp} (required, strictly after {@code now}) and {@code nbf} (optional,
	 * at most {@link #NOT_BEFORE_SKEW} after {@code now}).
	 */
	static void checkTimes(JWTClaimsSet claims, Instant now) {
		if (!isWithinTimes(claims, now)) {
			throw new InvalidTokenException("token is expired or not yet valid");
		}
	}

	static boolean isWithinTimes(JWTClaimsSet claims, Instant now) {
		Date exp = claims.getExpirationTime();
		Date nbf = claims.getNotBeforeTime();
		if (exp == null || !now.isBefore(exp.toInstant())) {
			return false;
		}
		return nbf == null || !nbf.toInstant().isAfter(now.plus(NOT_BEFORE_SKEW));
	}

	static boolean hasAudience(JWTClaimsSet claims, String audience) {
		List<String> audiences = claims.getAudience();
		return audiences != null && audiences.contains(audience);
	}

	/**
	 * A token failed a check. The message names the check, never the token.
	 */
	static final class InvalidTokenException extends RuntimeException {

		InvalidTokenException(String message) {
			super(message, null, false, false);
		}

	}

}
