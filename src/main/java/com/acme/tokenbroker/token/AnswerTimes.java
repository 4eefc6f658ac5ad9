package com.acme.tokenbroker.token;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The one format of every time in the broker's answers (tokens, status, key rotations):
 * ISO 8601 in UTC with at most millisecond precision, as JavaScript's
 * {@code Date.toISOString()} and most clients parse it.
 */
public final class AnswerTimes {

	private AnswerTimes() {
	}

	/**
	 * @param instant a time, or {@code null}
	 * @return it as {@code 2026-12-07T06:00:00.123Z}, or {@code null}
	 */
	public static String iso(Instant instant) {
		return (instant != null) ? DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.MILLIS)) : null;
	}

}
