package com.acme.tokenbroker.upstream;

import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.regex.Pattern;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import tools.jackson.databind.JsonNode;

/**
 * Turns an upstream token answer into an {@link UpstreamToken}, or refuses it. A refused
 * answer is an {@link UpstreamException.Kind#INVALID_RESPONSE}: it is never cached. Times
 * are epoch seconds (UTC) on the wire.
 */
final class TokenResponseReader {

	/**
	 * Token characters: printable ASCII without spaces, so a token can never split a
	 * header or a log line.
	 */
	private static final Pattern TOKEN_CHARS = Pattern.compile("[\\x21-\\x7E]{1,16384}");

	private static final Pattern TOKEN_TYPE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,31}");

	/** Epoch seconds beyond year 3000 are nonsense, not a far expiry. */
	private static final long MAX_EPOCH_SECONDS = 32503680000L;

	private final Clock clock;

	TokenResponseReader(Clock clock) {
		this.clock = clock;
	}

	UpstreamToken read(JsonNode body, String refreshField, String expiryField, String what) {
		String value = text(body, "accessToken", what);
		if (!TOKEN_CHARS.matcher(value).matches()) {
			throw invalid(what, "field 'accessToken' is not a well-formed token");
		}
		String tokenType = text(body, "tokenType", what);
		if (!TOKEN_TYPE.matcher(tokenType).matches()) {
			throw invalid(what, "field 'tokenType' is not a token scheme");
		}
		Instant refreshAfter = epochSeconds(body, refreshField, what);
		Instant expiresAt = epochSeconds(body, expiryField, what);
		Instant jwtExpiry = jwtExpiry(value);
		if (jwtExpiry != null && jwtExpiry.isBefore(expiresAt)) {
			expiresAt = jwtExpiry;
		}
		if (refreshAfter.isAfter(expiresAt)) {
			throw invalid(what, "'" + refreshField + "' is after the expiry");
		}
		if (!expiresAt.isAfter(this.clock.instant())) {
			throw invalid(what, "the token has already expired");
		}
		// one shared string for the usual scheme rather than one per cached token
		return new UpstreamToken(value, "Bearer".equals(tokenType) ? "Bearer" : tokenType, refreshAfter, expiresAt);
	}

	private static String text(JsonNode body, String field, String what) {
		JsonNode node = body.get(field);
		if (node == null || node.isNull()) {
			throw invalid(what, "field '" + field + "' is missing");
		}
		if (!node.isString() || node.stringValue().isEmpty()) {
			throw invalid(what, "field '" + field + "' is not a non-empty string");
		}
		return node.stringValue();
	}

	private static Instant epochSeconds(JsonNode body, String field, String what) {
		JsonNode node = body.get(field);
		if (node == null || node.isNull()) {
			throw invalid(what, "field '" + field + "' is missing");
		}
		if (!node.isIntegralNumber() || !node.canConvertToLong()) {
			throw invalid(what, "field '" + field + "' is not an integer of epoch seconds");
		}
		long seconds = node.longValue();
		if (seconds <= 0 || seconds > MAX_EPOCH_SECONDS) {
			throw invalid(what, "field '" + field + "' is out of range");
		}
		return Instant.ofEpochSecond(seconds);
	}

	/**
	 * The JWT {@code exp}, when the token is a JWT that carries one; the token is not
	 * verified here.
	 */
	private static Instant jwtExpiry(String value) {
		if (value.chars().filter(c -> c == '.').count() != 2) {
			return null;
		}
		try {
			JWT jwt = JWTParser.parse(value);
			Date exp = jwt.getJWTClaimsSet().getExpirationTime();
			return (exp != null) ? exp.toInstant() : null;
		}
		catch (ParseException | RuntimeException ex) {
			return null;
		}
	}

	private static UpstreamException invalid(String what, String reason) {
		return new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
				"Response for " + what + " is not a usable token: " + reason);
	}

}
