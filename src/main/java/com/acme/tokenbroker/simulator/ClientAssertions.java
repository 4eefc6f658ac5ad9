package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Supplier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * How the simulated tenant checks the credentials an application presents at its token
 * endpoint: a client secret (in the form or as Basic credentials), a certificate
 * assertion signed with the registered certificate's key and naming its thumbprint, or a
 * federated assertion (a service-account token of the {@link SimulatedCluster}) matching
 * the application's federated credential. Error codes follow Entra's AADSTS codes.
 */
final class ClientAssertions {

	private final SimulatedCluster cluster;

	private final Supplier<String> tokenEndpoint;

	private final Supplier<Clock> clock;

	/**
	 * @param tokenEndpoint the token endpoint that assertions must name as their
	 * audience, known once the listener is bound
	 */
	ClientAssertions(SimulatedCluster cluster, Supplier<String> tokenEndpoint, Supplier<Clock> clock) {
		this.cluster = cluster;
		this.tokenEndpoint = tokenEndpoint;
		this.clock = clock;
	}

	/**
	 * Check the one client authentication method of a token request.
	 * @param secret the client secret from the form or the Basic credentials, or
	 * {@code null}
	 * @param assertionType the {@code client_assertion_type}, or {@code null}
	 * @param assertion the {@code client_assertion}, or {@code null}
	 * @throws EntraError when the principal is not authenticated
	 */
	void authenticate(Principal principal, String secret, String assertionType, String assertion) {
		if (assertion == null && assertionType == null) {
			if (secret == null) {
				throw new EntraError("invalid_client", 7000218,
						"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
			}
			checkSecret(principal, secret);
			return;
		}
		if (secret != null) {
			throw new EntraError("invalid_request", 9002313,
					"Invalid request. Only one client authentication method may be used.");
		}
		if (!SimulatedEntra.JWT_BEARER.equals(assertionType) || assertion == null) {
			throw new EntraError("invalid_request", 9002313, "Invalid request. client_assertion_type must be '"
					+ SimulatedEntra.JWT_BEARER + "' with a client_assertion.");
		}
		checkAssertion(principal, assertion);
	}

	private void checkSecret(Principal principal, String secret) {
		if (!(principal instanceof Principal.Secret registered) || !MessageDigest
			.isEqual(registered.secret().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
			throw new EntraError("invalid_client", 7000215,
					"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
							+ "not the client secret ID, for a secret added to app '" + principal.clientId() + "'.");
		}
	}

	private void checkAssertion(Principal principal, String assertion) {
		try {
			if (principal instanceof Principal.Certificate certificate) {
				checkCertificateAssertion(certificate, assertion);
			}
			else if (principal instanceof Principal.Federated federated) {
				checkFederatedAssertion(federated, assertion);
			}
			else {
				throw new EntraError("invalid_client", 700027,
						"Client assertion failed signature validation: no certificate is registered for the application.");
			}
		}
		catch (Jwts.InvalidTokenException ex) {
			throw new EntraError("invalid_client", 50027, "JWT token is invalid or malformed.");
		}
	}

	private void checkCertificateAssertion(Principal.Certificate principal, String assertion) {
		SignedJWT jwt = Jwts.parse(assertion);
		JWSHeader header = jwt.getHeader();
		if (!JWSAlgorithm.RS256.equals(header.getAlgorithm()) && !JWSAlgorithm.PS256.equals(header.getAlgorithm())) {
			throw new EntraError("invalid_client", 700027,
					"Client assertion failed signature validation: unsupported algorithm.");
		}
		if (!hasRegisteredThumbprint(header, principal)) {
			throw new EntraError("invalid_client", 700027,
					"Client assertion failed signature validation: the certificate thumbprint is not registered.");
		}
		if (!verifies(jwt, principal)) {
			throw new EntraError("invalid_client", 700027, "Client assertion failed signature validation.");
		}
		JWTClaimsSet claims = claims(jwt);
		if (!principal.clientId().equals(claims.getIssuer()) || !principal.clientId().equals(claims.getSubject())) {
			throw new EntraError("invalid_client", 700021,
					"Client assertion application identifier doesn't match 'client_id' parameter.");
		}
		String tokenEndpoint = this.tokenEndpoint.get();
		if (!Jwts.hasAudience(claims, tokenEndpoint)
				&& !Jwts.hasAudience(claims, tokenEndpoint.replace("//localhost:", "//127.0.0.1:"))) {
			throw new EntraError("invalid_client", 700027,
					"Client assertion audience claim does not match the token endpoint.");
		}
		// The client builds the assertion from its own wall clock, which cannot follow
		// the simulator's virtual time: accept it if it is valid by either clock.
		if (!Jwts.isWithinTimes(claims, now()) && !Jwts.isWithinTimes(claims, Instant.now())) {
			throw new EntraError("invalid_client", 700024, "Client assertion is not within its valid time range.");
		}
	}

	/**
	 * Whether the header names a thumbprint ({@code x5t}, {@code x5t#S256} or both) and
	 * every thumbprint it names is the registered certificate's.
	 */
	private static boolean hasRegisteredThumbprint(JWSHeader header, Principal.Certificate principal) {
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
		return (sha1 != null || sha256 != null) && sha1Matches && sha256Matches;
	}

	private static boolean verifies(SignedJWT jwt, Principal.Certificate principal) {
		try {
			return jwt.verify(new RSASSAVerifier((RSAPublicKey) principal.certificate().getPublicKey()));
		}
		catch (JOSEException | ClassCastException ex) {
			return false;
		}
	}

	private void checkFederatedAssertion(Principal.Federated principal, String assertion) {
		JWTClaimsSet unverified = claims(Jwts.parse(assertion));
		if (!this.cluster.issuer().equals(unverified.getIssuer())) {
			throw new EntraError("invalid_client", 700211,
					"No matching federated identity record found for presented assertion issuer '"
							+ unverified.getIssuer() + "'.");
		}
		JWTClaimsSet claims = this.cluster.verify(assertion);
		if (!Jwts.hasAudience(claims, SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE)) {
			throw new EntraError("invalid_client", 700212,
					"No matching federated identity record found for presented assertion audience.");
		}
		if (!principal.subject().equals(claims.getSubject())) {
			throw new EntraError("invalid_client", 70021,
					"No matching federated identity record found for presented assertion. Assertion Issuer: '"
							+ claims.getIssuer() + "'. Assertion Subject: '" + claims.getSubject() + "'.");
		}
		if (!Jwts.isWithinTimes(claims, now())) {
			throw new EntraError("invalid_client", 700024, "Client assertion is not within its valid time range.");
		}
	}

	private Instant now() {
		return this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
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

}
