package com.acme.tokenbroker.security;

import java.util.function.Predicate;

import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * The header values {@link StrictHttpFirewall} accepts by default (its pattern
 * {@code [\p{IsAssigned}&&[[^\p{IsControl}]||\t]]*}: assigned code points, no control
 * characters but tab), checked with a loop. The firewall checks every header value a
 * request reads; the pattern over a caller JWT of a kilobyte was a measurable share of a
 * cached request's CPU (bench/README.md).
 */
final class HeaderValues {

	/** The firewall's default rule, as a predicate. */
	static final Predicate<String> ALLOWED = HeaderValues::isAllowed;

	private HeaderValues() {
	}

	static boolean isAllowed(String value) {
		int i = 0;
		while (i < value.length()) {
			int codePoint = value.codePointAt(i);
			int type = Character.getType(codePoint);
			if (type == Character.UNASSIGNED || (type == Character.CONTROL && codePoint != '\t')) {
				return false;
			}
			i += Character.charCount(codePoint);
		}
		return true;
	}

}
