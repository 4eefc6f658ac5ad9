package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.UUID;

/**
 * An application registration in the simulated tenant and its single credential.
 */
sealed interface Principal permits Principal.Secret, Principal.Certificate, Principal.Federated, Principal.Managed {

	String clientId();

	/**
	 * The service principal's object id: stable per client id, across runs too.
	 */
	default String objectId() {
		return UUID.nameUUIDFromBytes(("oid:" + clientId()).getBytes(StandardCharsets.UTF_8)).toString();
	}

	/**
	 * Authenticates with {@code client_secret} (form or HTTP Basic).
	 */
	record Secret(String clientId, String secret) implements Principal {

		@Override
		public String toString() {
			return "Secret[clientId=" + this.clientId + ", secret=(redacted)]";
		}

	}

	/**
	 * Authenticates with a client assertion signed by the certificate's private key.
	 */
	record Certificate(String clientId, X509Certificate certificate) implements Principal {

	}

	/**
	 * Authenticates with a service-account token of the simulated cluster issuer for
	 * {@code subject} (workload identity federation).
	 */
	record Federated(String clientId, String subject) implements Principal {

	}

	/**
	 * A managed identity: it has no credential of its own; the hosting environment's
	 * identity endpoint ({@code GET /msi/token} with the environment's
	 * {@code X-IDENTITY-HEADER}) issues its tokens.
	 */
	record Managed(String clientId) implements Principal {

	}

}
