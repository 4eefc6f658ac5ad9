package com.acme.tokenbroker.fleet;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals values for Redis with AES-256-GCM:
 * {@code tb1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>}.
 * <p>
 * Each value carries the id of the key that sealed it, so keys rotate without a flush:
 * the active key seals, every configured key opens. The Redis key the value is stored
 * under, the format version and the key id are the additional authenticated data, so a
 * value copied to another service's key, or relabelled with another key id, does not
 * open. A value that does not open (unknown key id, altered bytes, another format) is
 * reported as empty, never as an exception: to the cache it is a miss.
 */
final class TokenSealer {

	static final String VERSION = "tb1";

	private static final int NONCE_BYTES = 12;

	private static final int TAG_BITS = 128;

	private final Map<String, SecretKey> keys = new HashMap<>();

	private final String activeKey;

	private final SecureRandom random;

	TokenSealer(FleetProperties.Encryption encryption, SecureRandom random) {
		encryption.keys()
			.forEach((id, encoded) -> this.keys.put(id,
					new SecretKeySpec(Base64.getDecoder().decode(encoded.trim()), "AES")));
		this.activeKey = encryption.activeKey();
		this.random = random;
	}

	/**
	 * @param redisKey the Redis key the value will be stored under
	 * @param plaintext what to seal
	 * @return the sealed value
	 */
	String seal(String redisKey, byte[] plaintext) {
		byte[] nonce = new byte[NONCE_BYTES];
		this.random.nextBytes(nonce);
		try {
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.ENCRYPT_MODE, this.keys.get(this.activeKey), new GCMParameterSpec(TAG_BITS, nonce));
			cipher.updateAAD(aad(redisKey, this.activeKey));
			byte[] sealed = cipher.doFinal(plaintext);
			byte[] out = new byte[NONCE_BYTES + sealed.length];
			System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
			System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
			return VERSION + "." + this.activeKey + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("AES-GCM is not available in this JVM", ex);
		}
	}

	/**
	 * @param redisKey the Redis key the value was read from
	 * @param value the sealed value
	 * @return the plaintext, or empty when the value does not open with any configured
	 * key
	 */
	Optional<byte[]> open(String redisKey, String value) {
		if (value == null) {
			return Optional.empty();
		}
		String[] parts = value.split("\\.", -1);
		if (parts.length != 3 || !VERSION.equals(parts[0])) {
			return Optional.empty();
		}
		SecretKey key = this.keys.get(parts[1]);
		if (key == null) {
			return Optional.empty();
		}
		try {
			byte[] in = Base64.getUrlDecoder().decode(parts[2]);
			if (in.length < NONCE_BYTES + TAG_BITS / 8) {
				return Optional.empty();
			}
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
			cipher.updateAAD(aad(redisKey, parts[1]));
			return Optional.of(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES));
		}
		catch (IllegalArgumentException | GeneralSecurityException ex) {
			return Optional.empty();
		}
	}

	/**
	 * The key id a sealed value names, for logs (never the value itself).
	 * @param sealed a value as {@link #seal} writes it
	 * @return its key id, or {@code ?} when the value has no well-formed one
	 */
	static String keyIdOf(String sealed) {
		String[] parts = sealed.split("\\.", 3);
		return (parts.length == 3 && parts[1].matches("[A-Za-z0-9_-]{1,32}")) ? parts[1] : "?";
	}

	private static byte[] aad(String redisKey, String keyId) {
		return (VERSION + "\n" + keyId + "\n" + redisKey).getBytes(StandardCharsets.UTF_8);
	}

}
