package com.acme.tokenbroker.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bearer token resolver and the firewall's header-value rule answer exactly as Spring
 * Security's defaults do.
 */
class HeaderBearerTokenResolverTests {

	private final HeaderBearerTokenResolver resolver = new HeaderBearerTokenResolver();

	private final DefaultBearerTokenResolver reference = new DefaultBearerTokenResolver();

	@ParameterizedTest
	@ValueSource(strings = { "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "bearer abc", "BEARER a-b._~+/c==",
			"Bearer abc=", "Bearer abc", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer =abc",
			"Bearer abc=d", "Bearer abc\t", "Bearer  abc", "Bearer ab%c", "Bearer äbc", "Bearerabc", "" })
	void resolveWhenAuthorizationHeaderThenSameAnswerAsDefault(String authorization) {
		for (String query : new String[] { null, "minTtl=600", "access_token=xyz" }) {
			MockHttpServletRequest request = new MockHttpServletRequest("GET", "/tokens/fraud-scoring");
			request.addHeader("Authorization", authorization);
			request.setQueryString(query);
			if (query != null) {
				request.addParameter(query.substring(0, query.indexOf('=')), query.substring(query.indexOf('=') + 1));
			}

			assertThat(outcome(this.resolver, request)).isEqualTo(outcome(this.reference, request));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "Bearer abc", "Bearer a b" })
	void resolveWhenNotGetThenSameAnswerAsDefault(String authorization) {
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/admin/services/x/keys/rotate");
		request.addHeader("Authorization", authorization);

		assertThat(outcome(this.resolver, request)).isEqualTo(outcome(this.reference, request));
	}

	@ParameterizedTest
	@ValueSource(strings = { "Bearer x", "Bearer x\u0000", "a\tb", "a\nb", "a\rb", "\u007f", "\u0085", "\u00e9",
			"\ud83d\ude00", "\ud83d", "\ude00x", "\u0378", "\udb80\udc00", "" })
	void isAllowedWhenHeaderValueThenSameAnswerAsTheFirewallsPattern(String value) {
		assertThat(HeaderValues.ALLOWED.test(value)).isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_VALUES.test(value));
	}

	@Test
	void isAllowedWhenAnySingleCodePointThenSameAnswerAsTheFirewallsPattern() {
		for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
			String value = "a" + new String(Character.toChars(codePoint)) + "b";

			assertThat(HeaderValues.ALLOWED.test(value)).as("U+%04X", codePoint)
				.isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_VALUES.test(value));
		}
	}

	private static String outcome(BearerTokenResolver resolver, MockHttpServletRequest request) {
		try {
			return "token:" + resolver.resolve(request);
		}
		catch (OAuth2AuthenticationException ex) {
			return "error:" + ex.getError().getErrorCode() + ":" + ex.getError().getDescription();
		}
	}

}
