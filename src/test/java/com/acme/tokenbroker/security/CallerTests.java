package com.acme.tokenbroker.security;

import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a caller is named in log and audit lines: a subject or client id from a trusted
 * issuer can still hold a CR or LF, which in a text log would start a forged line.
 */
class CallerTests {

	@Test
	void describesSubjectAndClientId() {
		assertThat(new Caller("https://issuer", "ops-admin", "app-1", Set.of(), Set.of()).describe())
			.isEqualTo("sub:ops-admin,azp:app-1");
		assertThat(new Caller("https://issuer", "ops-admin", null, Set.of(), Set.of()).describe())
			.isEqualTo("sub:ops-admin");
	}

	@Test
	void controlCharactersInClaimsCannotStartALogLine() {
		Caller forger = new Caller("https://issuer",
				"ops\r\n12:00:00.000 INFO  [main] audit - key-rotation outcome=succeeded", "app\u0000\t1", Set.of(),
				Set.of());

		assertThat(forger.describe()).doesNotContain("\r", "\n", "\u0000", "\t")
			.isEqualTo("sub:ops??12:00:00.000 INFO  [main] audit - key-rotation outcome=succeeded,azp:app??1");
	}

	@Test
	void anAbsentClaimIsADash() {
		assertThat(Caller.printable(null)).isEqualTo("-");
		assertThat(Caller.printable("plain")).isSameAs("plain");
	}

}
