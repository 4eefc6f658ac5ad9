package com.acme.tokenbroker.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Comparing credential values: in constant time ({@link MessageDigest#isEqual} on the
 * UTF-8 bytes), so how long a comparison takes does not tell how much of a credential
 * matched, wherever a value a caller reported or a store returned meets the one the
 * broker holds. {@link CredentialFingerprint} compares digests the same way.
 */
public final class CredentialValues {

	private CredentialValues() {
	}

	/**
	 * Whether two credential values are the same string.
	 * @param a a credential value, or {@code null}
	 * @param b another, or {@code null}
	 * @return {@code true} when both are present and equal; a missing credential matches
	 * none, not even another missing one
	 */
	public static boolean equal(String a, String b) {
		if (a == null || b == null) {
			return false;
		}
		return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
	}

}
