package com.acme.tokenbroker.security;

import java.util.List;
import java.util.Set;

import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The authenticated caller, as far as access rules care: never the caller's token itself.
 *
 * @param issuer the token's issuer
 * @param subject the {@code sub} claim
 * @param clientId {@code azp}, else {@code appid}
 * @param roles the {@code roles} claim
 * @param groups the {@code groups} claim
 */
public record Caller(String issuer, String subject, String clientId, Set<String> roles, Set<String> groups) {

	public static Caller from(Jwt jwt) {
		String clientId = jwt.getClaimAsString("azp");
		if (clientId == null) {
			clientId = jwt.getClaimAsString("appid");
		}
		return new Caller((jwt.getIssuer() != null) ? jwt.getIssuer().toString() : jwt.getClaimAsString("iss"),
				jwt.getSubject(), clientId, strings(jwt, "roles"), strings(jwt, "groups"));
	}

	/**
	 * @return the caller as log and audit lines name it: {@code sub:<subject>} and
	 * {@code ,azp:<client id>} when there is one, each made printable
	 */
	public String describe() {
		return "sub:" + printable(this.subject) + ((this.clientId != null) ? ",azp:" + printable(this.clientId) : "");
	}

	/**
	 * A claim as a text log line may hold it: a control character (a CR or LF would start
	 * a forged line) becomes {@code ?}. Claims come from a trusted issuer, but their
	 * values are whatever the token's holder was named.
	 * @param value a claim's value, or {@code null}
	 * @return the value with every control character replaced
	 */
	public static String printable(String value) {
		if (value == null) {
			return "-";
		}
		StringBuilder printable = null;
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (Character.isISOControl(c)) {
				if (printable == null) {
					printable = new StringBuilder(value);
				}
				printable.setCharAt(i, '?');
			}
		}
		return (printable != null) ? printable.toString() : value;
	}

	private static Set<String> strings(Jwt jwt, String claim) {
		Object value = jwt.getClaims().get(claim);
		if (value instanceof String single) {
			return Set.of(single);
		}
		if (value instanceof List<?> list) {
			return list.stream()
				.filter(String.class::isInstance)
				.map(String.class::cast)
				.collect(java.util.stream.Collectors.toUnmodifiableSet());
		}
		return Set.of();
	}

}
