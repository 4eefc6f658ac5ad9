package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;

/**
 * The OIDC issuer of the simulated AKS cluster, served under {@code /cluster} on the
 * Entra listener: its signing key, discovery document and JWKS, and the projected
 * service-account tokens that workload identity presents to Entra as federated
 * assertions.
 */
final class SimulatedCluster {

	static final String PATH = "/cluster";

	private static final String DISCOVERY_PATH = PATH + "/.well-known/openid-configuration";

	private static final String JWKS_PATH = PATH + "/openid/v1/jwks";

	private final SigningKey key = SigningKey.generate("cluster-" + UUID.randomUUID());

	private final Supplier<String> baseUrl;

	private final Supplier<Clock> clock;

	private final IssuanceObserver observer;

	/**
	 * @param baseUrl the address of the listener that serves the cluster's documents,
	 * known once it is bound
	 */
	SimulatedCluster(Supplier<String> baseUrl, Supplier<Clock> clock, IssuanceObserver observer) {
		this.baseUrl = baseUrl;
		this.clock = clock;
		this.observer = observer;
	}

	String issuer() {
		return this.baseUrl.get() + PATH;
	}

	String jwksUri() {
		return this.baseUrl.get() + JWKS_PATH;
	}

	/**
	 * The cluster operation a {@code GET} of {@code path} asks for, or
	 * {@link Operation#UNKNOWN}.
	 */
	static Operation classify(String path) {
		if (path.equals(DISCOVERY_PATH)) {
			return Operation.CLUSTER_DISCOVERY;
		}
		return path.equals(JWKS_PATH) ? Operation.CLUSTER_KEYS : Operation.UNKNOWN;
	}

	SimResponse keys() {
		return SimResponse.json(200, new JWKSet(this.key.get().toPublicJWK()).toJSONObject(true));
	}

	SimResponse discovery() {
		Map<String, Object> document = new LinkedHashMap<>();
		document.put("issuer", issuer());
		document.put("jwks_uri", jwksUri());
		document.put("response_types_supported", List.of("id_token"));
		document.put("subject_types_supported", List.of("public"));
		document.put("id_token_signing_alg_values_supported", List.of("RS256"));
		return SimResponse.json(200, document);
	}

	String mintServiceAccountToken(String namespace, String serviceAccount, String audience, Duration ttl) {
		Instant now = this.clock.get().instant().truncatedTo(ChronoUnit.SECONDS);
		Map<String, Object> kubernetes = new LinkedHashMap<>();
		kubernetes.put("namespace", namespace);
		kubernetes.put("serviceaccount",
				Map.of("name", serviceAccount, "uid",
						UUID.nameUUIDFromBytes((namespace + "/" + serviceAccount).getBytes(StandardCharsets.UTF_8))
							.toString()));
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer())
			.subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
			.audience(List.of(audience))
			.issueTime(Date.from(now))
			.notBeforeTime(Date.from(now))
			.expirationTime(Date.from(now.plus(ttl)))
			.claim("kubernetes.io", kubernetes)
			.build();
		String token = Jwts.sign(this.key.get(), claims);
		this.observer.issued(token);
		return token;
	}

	/**
	 * Check a token's signature against the cluster key and return its claims.
	 * @throws Jwts.InvalidTokenException when the cluster did not sign it
	 */
	JWTClaimsSet verify(String token) {
		return Jwts.verify(token, this.key.get());
	}

}
