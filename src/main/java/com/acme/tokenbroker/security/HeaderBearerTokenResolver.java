package com.acme.tokenbroker.security;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpHeaders;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;

/**
 * Spring Security's {@link DefaultBearerTokenResolver}, with its common case done without
 * a regular expression: a GET without a query string whose {@code Authorization} header
 * is {@code Bearer <token>} with the RFC 6750 token characters
 * ({@code [A-Za-z0-9-._~+/]+=*}). Matching the default's pattern over a caller JWT of a
 * kilobyte was a measurable share of a cached request's CPU (bench/README.md). Everything
 * else (no header, a malformed one, a possible {@code access_token} parameter) goes to
 * the default resolver, so its answers and errors are unchanged.
 */
final class HeaderBearerTokenResolver implements BearerTokenResolver {

	/**
	 * The scheme and its space, matched in any case (as Spring Security's resolver does);
	 * the verified-token cache reads it too.
	 */
	static final String PREFIX = "Bearer ";

	private final BearerTokenResolver fallback = new DefaultBearerTokenResolver();

	@Override
	public String resolve(HttpServletRequest request) {
		if ("GET".equals(request.getMethod()) && request.getQueryString() == null) {
			String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
			if (authorization != null && authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
					&& isToken(authorization, PREFIX.length())) {
				return authorization.substring(PREFIX.length());
			}
		}
		return this.fallback.resolve(request);
	}

	/**
	 * {@code [A-Za-z0-9-._~+/]+=*} from {@code start} to the end (RFC 6750 §2.1
	 * b64token).
	 */
	static boolean isToken(String value, int start) {
		int i = start;
		while (i < value.length() && isTokenCharacter(value.charAt(i))) {
			i++;
		}
		if (i == start) {
			return false;
		}
		while (i < value.length() && value.charAt(i) == '=') {
			i++;
		}
		return i == value.length();
	}

	private static boolean isTokenCharacter(char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
				|| c == '_' || c == '~' || c == '+' || c == '/';
	}

}
