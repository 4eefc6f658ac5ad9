package com.acme.tokenbroker.sink;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import com.acme.tokenbroker.token.AnswerTimes;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenBodies;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a sink's file holds.
 */
enum SinkFormat {

	/**
	 * The credential alone, no line break: what an {@code Authorization} header carries
	 * after the scheme.
	 */
	TOKEN {
		@Override
		byte[] render(BrokeredToken token, boolean stale, JsonMapper mapper) {
			return token.value().getBytes(StandardCharsets.UTF_8);
		}
	},

	/** The body of {@code GET /tokens/{service}}. */
	JSON {
		@Override
		byte[] render(BrokeredToken token, boolean stale, JsonMapper mapper) {
			return TokenBodies.json(token, stale, mapper);
		}
	},

	/**
	 * Shell assignments, one a line, each value single-quoted:
	 * {@code TOKEN_BROKER_<SERVICE>_TOKEN}, {@code _TOKEN_TYPE},
	 * {@code _CREDENTIAL_TYPE}, {@code _EXPIRES_AT}, {@code _REFRESH_BY} and, when known,
	 * {@code _SCORING_URI}; {@code <SERVICE>} is the service name in upper case with
	 * every other character than a letter or digit turned into {@code _}.
	 */
	ENV {
		@Override
		byte[] render(BrokeredToken token, boolean stale, JsonMapper mapper) {
			String prefix = variablePrefix(token.service().value());
			StringBuilder lines = new StringBuilder();
			line(lines, prefix + "TOKEN", token.value());
			line(lines, prefix + "TOKEN_TYPE", token.tokenType());
			line(lines, prefix + "CREDENTIAL_TYPE", token.credentialType());
			line(lines, prefix + "EXPIRES_AT", AnswerTimes.iso(token.expiresAt()));
			line(lines, prefix + "REFRESH_BY", AnswerTimes.iso(token.refreshAfter()));
			if (token.scoringUri() != null) {
				line(lines, prefix + "SCORING_URI", token.scoringUri());
			}
			return lines.toString().getBytes(StandardCharsets.UTF_8);
		}
	};

	/**
	 * @param token a usable token
	 * @param stale whether it is past its {@code refreshAfter}
	 * @param mapper the application's JSON mapper
	 * @return the file's content
	 */
	abstract byte[] render(BrokeredToken token, boolean stale, JsonMapper mapper);

	/**
	 * @param service a service name
	 * @return {@code TOKEN_BROKER_<SERVICE>_}
	 */
	static String variablePrefix(String service) {
		return "TOKEN_BROKER_" + service.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_") + "_";
	}

	private static void line(StringBuilder lines, String name, String value) {
		lines.append(name).append('=').append(quoted((value != null) ? value : "")).append('\n');
	}

	/**
	 * Single quotes keep every character literal in a POSIX shell; a quote inside is
	 * closed, escaped and reopened.
	 */
	static String quoted(String value) {
		return "'" + value.replace("'", "'\\''") + "'";
	}

}
