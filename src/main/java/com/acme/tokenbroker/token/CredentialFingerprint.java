package com.acme.tokenbroker.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What a caller names a credential by when it reports that a service refused it: the
 * SHA-256 of the exact {@code accessToken} string the broker served, UTF-8 encoded,
 * written {@code sha256:} followed by 64 hexadecimal digits (either case) or 43
 * characters of unpadded base64url. {@code echo -n "$TOKEN" | sha256sum} gives the hex
 * form. The digest is compared in constant time, and {@link #toString()} shows neither it
 * nor any credential.
 */
final class CredentialFingerprint {

	static final String PREFIX = "sha256:";

	private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

	private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]{43}");

	private final byte[] digest;

	private CredentialFingerprint(byte[] digest) {
		this.digest = digest;
	}

	/**
	 * @param fingerprint {@code sha256:} and the digest in hex or unpadded base64url
	 * @return the fingerprint
	 * @throws IllegalArgumentException when the value is not of that form (the message
	 * never quotes it)
	 */
	static CredentialFingerprint parse(String fingerprint) {
		if (fingerprint == null || !fingerprint.startsWith(PREFIX)) {
			throw new IllegalArgumentException("fingerprint must start with '" + PREFIX + "'");
		}
		String digest = fingerprint.substring(PREFIX.length());
		if (HEX.matcher(digest).matches()) {
			return new CredentialFingerprint(HexFormat.of().parseHex(digest));
		}
		if (BASE64URL.matcher(digest).matches()) {
			try {
				return new CredentialFingerprint(Base64.getUrlDecoder().decode(digest));
			}
			catch (IllegalArgumentException ex) {
				// 43 characters whose last one carries bits beyond the 32 bytes
			}
		}
		throw new IllegalArgumentException(
				"fingerprint must be 'sha256:' and 64 hex digits or 43 characters of unpadded base64url");
	}

	/**
	 * @param credential the credential as served ({@code accessToken})
	 * @return its fingerprint
	 */
	static CredentialFingerprint of(String credential) {
		return new CredentialFingerprint(sha256(credential));
	}

	/**
	 * @param credential a credential as served
	 * @return whether this is its fingerprint, compared in constant time
	 */
	boolean matches(String credential) {
		return credential != null && MessageDigest.isEqual(this.digest, sha256(credential));
	}

	private static byte[] sha256(String value) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is a required JDK algorithm", ex);
		}
	}

	@Override
	public String toString() {
		return "CredentialFingerprint[sha256]";
	}

}
