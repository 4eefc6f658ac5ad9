package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The run-time authentication state of one web service or online endpoint: its
 * {@link AuthMode} (changed by a simulated redeployment), its two keys (present whatever
 * the mode, changed only by regeneration) and whether its next key regeneration is to
 * fail. Thread-safe.
 */
final class ServiceAuth {

	/** Random bytes per generated key: 43 base64url characters. */
	private static final int KEY_BYTES = 32;

	private static final SecureRandom RANDOM = new SecureRandom();

	private volatile AuthMode mode;

	private volatile Keys keys;

	private final AtomicBoolean failNextRegeneration = new AtomicBoolean();

	ServiceAuth(AuthMode mode) {
		this.mode = Objects.requireNonNull(mode, "mode must not be null");
		this.keys = new Keys(generateKey(), generateKey());
	}

	/**
	 * A new random key, base64url without padding, as long as the keys Azure ML
	 * generates.
	 */
	static String generateKey() {
		byte[] random = new byte[KEY_BYTES];
		RANDOM.nextBytes(random);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
	}

	/**
	 * Refuse a mode the service cannot have: MMS v1 web services have no Entra-token
	 * mode.
	 * @throws IllegalArgumentException for {@link AuthMode#AAD_TOKEN} on a web service
	 */
	static void requireModeFits(boolean onlineEndpoint, String service, AuthMode mode) {
		Objects.requireNonNull(mode, "mode must not be null");
		if (mode == AuthMode.AAD_TOKEN && !onlineEndpoint) {
			throw new IllegalArgumentException(
					"AAD_TOKEN is for online endpoints only; '" + service + "' is an MMS v1 web service");
		}
	}

	AuthMode mode() {
		return this.mode;
	}

	void mode(AuthMode mode) {
		this.mode = Objects.requireNonNull(mode, "mode must not be null");
	}

	Keys keys() {
		return this.keys;
	}

	/**
	 * Put {@code value} in one slot, leaving the other as it is.
	 * @return the keys now in force
	 */
	synchronized Keys replace(KeyType slot, String value) {
		Keys current = this.keys;
		this.keys = (slot == KeyType.PRIMARY) ? new Keys(value, current.secondaryKey())
				: new Keys(current.primaryKey(), value);
		return this.keys;
	}

	/**
	 * Whether {@code candidate} is the current primary or secondary key (constant time).
	 */
	boolean isCurrentKey(String candidate) {
		if (candidate == null || candidate.isEmpty()) {
			return false;
		}
		Keys current = this.keys;
		byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
		boolean primary = MessageDigest.isEqual(given, current.primaryKey().getBytes(StandardCharsets.UTF_8));
		boolean secondary = MessageDigest.isEqual(given, current.secondaryKey().getBytes(StandardCharsets.UTF_8));
		return primary | secondary;
	}

	void failNextRegeneration() {
		this.failNextRegeneration.set(true);
	}

	/**
	 * Consume the failure set by {@link #failNextRegeneration()}, if any.
	 */
	boolean takeRegenerationFailure() {
		return this.failNextRegeneration.getAndSet(false);
	}

	@Override
	public String toString() {
		return "ServiceAuth[" + this.mode + "]";
	}

}
