package com.acme.tokenbroker.token;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CredentialValuesTests {

	static final String CREDENTIAL = "eyJhbGciOiJSUzI1NiJ9.payload.signature";

	@Test
	void equalWhenSameCharactersThenTrue() {
		assertThat(CredentialValues.equal(CREDENTIAL, new String(CREDENTIAL.toCharArray()))).isTrue();
		assertThat(CredentialValues.equal("", "")).isTrue();
		assertThat(CredentialValues.equal("clé-ü", "clé-ü")).isTrue();
	}

	@Test
	void equalWhenOneCharacterDiffersThenFalse() {
		assertThat(CredentialValues.equal(CREDENTIAL, CREDENTIAL.replace('s', 'S'))).isFalse();
		assertThat(CredentialValues.equal("clé", "cle")).isFalse();
	}

	@Test
	void equalWhenLengthsDifferThenFalse() {
		assertThat(CredentialValues.equal(CREDENTIAL, CREDENTIAL + " ")).isFalse();
		assertThat(CredentialValues.equal(CREDENTIAL + " ", CREDENTIAL)).isFalse();
		assertThat(CredentialValues.equal(CREDENTIAL, "")).isFalse();
	}

	@Test
	void equalWhenEitherIsNullThenFalse() {
		assertThat(CredentialValues.equal(CREDENTIAL, null)).isFalse();
		assertThat(CredentialValues.equal(null, CREDENTIAL)).isFalse();
		assertThat(CredentialValues.equal(null, null)).isFalse();
	}

}
