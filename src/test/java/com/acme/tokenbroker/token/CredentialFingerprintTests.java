package com.acme.tokenbroker.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CredentialFingerprintTests {

	static final String CREDENTIAL = "eyJhbGciOiJSUzI1NiJ9.payload.signature";

	@Test
	void parseWhenHexOfEitherCaseOrBase64UrlThenMatchesTheCredentialOnly() throws Exception {
		byte[] digest = MessageDigest.getInstance("SHA-256").digest(CREDENTIAL.getBytes(StandardCharsets.UTF_8));
		String hex = HexFormat.of().formatHex(digest);

		for (String fingerprint : new String[] { "sha256:" + hex, "sha256:" + hex.toUpperCase(),
				"sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest) }) {
			CredentialFingerprint parsed = CredentialFingerprint.parse(fingerprint);
			assertThat(parsed.matches(CREDENTIAL)).as(fingerprint).isTrue();
			assertThat(parsed.matches(CREDENTIAL + " ")).isFalse();
			assertThat(parsed.matches(null)).isFalse();
		}
		assertThat(CredentialFingerprint.of(CREDENTIAL).matches(CREDENTIAL)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "sha256:", "SHA256:0000000000000000000000000000000000000000000000000000000000000000",
			"sha256:000000000000000000000000000000000000000000000000000000000000000",
			"sha256:00000000000000000000000000000000000000000000000000000000000000000",
			"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
			"md5:d41d8cd98f00b204e9800998ecf8427e" })
	void parseWhenNotSha256HexOrBase64UrlThenRefusedWithoutQuotingIt(String fingerprint) {
		assertThatIllegalArgumentException().isThrownBy(() -> CredentialFingerprint.parse(fingerprint))
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("0000").doesNotContain("AAAA"));
	}

	@Test
	void toStringShowsNoDigest() {
		assertThat(CredentialFingerprint.of(CREDENTIAL)).hasToString("CredentialFingerprint[sha256]");
	}

}
