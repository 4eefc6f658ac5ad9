package com.acme.tokenbroker.token;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.web.ErrorResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ScoringProxyTargetTests {

	static final URI BASE = URI.create("https://fraud.westeurope.inference.ml.azure.com/score");

	@Test
	void targetWhenNoRemainderThenScoringUriItself() {
		assertThat(ScoringProxy.target(BASE, "", null)).isEqualTo(BASE);
	}

	@Test
	void targetWhenRemainderAndQueryThenAppendedUnderTheScoringPath() {
		assertThat(ScoringProxy.target(BASE, "/swagger.json", "version=2&x=a%20b"))
			.hasToString("https://fraud.westeurope.inference.ml.azure.com/score/swagger.json?version=2&x=a%20b");
		assertThat(ScoringProxy.target(URI.create("https://h.example/api/"), "/v1", null))
			.hasToString("https://h.example/api/v1");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/..", "/../x", "/a/../../b", "/./a", "/%2e%2e/x", "/%2E%2e/x", "/a%2Fb", "/a%2fb",
			"/a%5Cb", "/a\\b", "x", "@evil.example/x", "/a?b", "/a#b", "/a b", "//evil.example/x/.." })
	void targetWhenRemainderCouldLeaveTheScoringUriThenRefused(String remainder) {
		assertThatExceptionOfType(ErrorResponseException.class)
			.isThrownBy(() -> ScoringProxy.target(BASE, remainder, null))
			.satisfies((ex) -> assertThat(ex.getStatusCode().value()).isEqualTo(400));
	}

	@Test
	void targetWhenQueryHoldsAnotherUrlThenItStaysAQuery() {
		URI target = ScoringProxy.target(BASE, "", "next=https://evil.example/");
		assertThat(target.getHost()).isEqualTo("fraud.westeurope.inference.ml.azure.com");
		assertThat(target.getRawPath()).isEqualTo("/score");
	}

}
