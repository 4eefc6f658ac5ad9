package com.acme.tokenbroker.simulator;

import java.util.concurrent.CompletableFuture;

import com.nimbusds.jose.jwk.RSAKey;

/**
 * An RSA signing key of the simulator, generated on a thread of its own from the moment
 * the simulator is built, so that the broker's start does not wait for it: a 2048-bit key
 * takes a few hundred milliseconds on a cold JVM, and the simulator makes one per tenant,
 * cluster and workspace. The first signature or verification waits for it if it is not
 * there yet.
 */
final class SigningKey {

	private final CompletableFuture<RSAKey> key = new CompletableFuture<>();

	private SigningKey(String keyId) {
		Thread generator = new Thread(() -> {
			try {
				this.key.complete(Jwts.generateKey(keyId));
			}
			catch (RuntimeException | Error ex) {
				this.key.completeExceptionally(ex);
			}
		}, "sim-keygen");
		generator.setDaemon(true);
		generator.start();
	}

	/**
	 * Start generating an RSA 2048 key with the given key id.
	 */
	static SigningKey generate(String keyId) {
		return new SigningKey(keyId);
	}

	/**
	 * Return the key, waiting for its generation if needed.
	 */
	RSAKey get() {
		return this.key.join();
	}

}
