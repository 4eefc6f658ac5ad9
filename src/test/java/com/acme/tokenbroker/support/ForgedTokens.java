package com.acme.tokenbroker.support;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Caller tokens an attacker could present: each must be refused with 401.
 */
public final class ForgedTokens {

	private ForgedTokens() {
	}

	private static JWTClaimsSet claims(String issuer, String audience, String subject) {
		Instant now = Instant.now();
		return new JWTClaimsSet.Builder().issuer(issuer)
			.audience(audience)
			.subject(subject)
			.issueTime(Date.from(now))
			.notBeforeTime(Date.from(now))
			.expirationTime(Date.from(now.plusSeconds(3600)))
			.build();
	}

	private static String b64(String json) {
		return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
	}

	/** An unsigned JWT ({@code alg: none}) with otherwise valid claims. */
	public static String algNone(SimulatedWorkspace simulator, String audience, String subject) {
		return b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
				+ b64(claims(simulator.entraIssuer(), audience, subject).toString()) + ".";
	}

	/**
	 * HS256 signed with the issuer's real public key as the HMAC secret, naming the real
	 * key id.
	 */
	public static String hmacWithPublicKey(SimulatedWorkspace simulator, String audience, String subject)
			throws Exception {
		RSAKey published = publishedKey(simulator);
		byte[] secret = published.toRSAPublicKey().getEncoded();
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(published.getKeyID()).build(),
				claims(simulator.entraIssuer(), audience, subject));
		jwt.sign(new MACSigner(secret));
		return jwt.serialize();
	}

	/** RS256 with a key of our own, naming a key id the issuer never published. */
	public static String unknownKid(SimulatedWorkspace simulator, String audience, String subject) throws Exception {
		return signedWithOwnKey(simulator.entraIssuer(), audience, subject, "attacker-key");
	}

	/** RS256 with our own key and our own issuer. */
	public static String wrongIssuer(String audience, String subject) throws Exception {
		return signedWithOwnKey("https://evil.example/tenant/v2.0", audience, subject, "evil");
	}

	private static String signedWithOwnKey(String issuer, String audience, String subject, String kid)
			throws Exception {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
		generator.initialize(2048);
		var pair = generator.generateKeyPair();
		SignedJWT jwt = new SignedJWT(
				new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(),
				claims(issuer, audience, subject));
		jwt.sign(new RSASSASigner((RSAPrivateKey) pair.getPrivate()));
		return jwt.serialize();
	}

	private static RSAKey publishedKey(SimulatedWorkspace simulator) throws Exception {
		HttpClient client = HttpClient.newBuilder().sslContext(simulator.clientSslContext()).build();
		HttpResponse<String> response = client.send(HttpRequest.newBuilder(simulator.entraJwksUri()).GET().build(),
				HttpResponse.BodyHandlers.ofString());
		JWKSet set = JWKSet.parse(response.body());
		return (RSAKey) set.getKeys().get(0);
	}

}
