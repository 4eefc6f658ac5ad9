package com.acme.tokenbroker.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * A misbehaviour a {@link FaultSwitch} puts on the wire. Create instances with the static
 * factories, e.g. {@code Fault.throttled(Duration.ofSeconds(30))}.
 * <p>
 * {@link Kind#DOWN}, {@link Kind#HANG} and {@link Kind#SLOW} act on the connection;
 * {@link Kind#THROTTLED}, {@link Kind#ERROR} and {@link Kind#MALFORMED} replace the
 * answer without looking at the request; {@link Kind#MISSING_FIELDS},
 * {@link Kind#EXPIRED} and {@link Kind#OVERSIZED} let the request be authenticated and
 * authorized as usual and then shape the successful answer.
 *
 * @param kind what happens
 * @param duration the delay for {@link Kind#SLOW}, the {@code Retry-After} for
 * {@link Kind#THROTTLED}, otherwise {@link Duration#ZERO}
 * @param status the HTTP status for {@link Kind#ERROR}, otherwise {@code 0}
 */
public record Fault(Kind kind, Duration duration, int status) {

	private static final Fault NONE = new Fault(Kind.NONE, Duration.ZERO, 0);

	public Fault {
		Objects.requireNonNull(kind, "kind must not be null");
		Objects.requireNonNull(duration, "duration must not be null");
		if (duration.isNegative()) {
			throw new IllegalArgumentException("duration must not be negative");
		}
		if (kind == Kind.ERROR && (status < 400 || status > 599)) {
			throw new IllegalArgumentException("ERROR needs a 4xx or 5xx status, not " + status);
		}
	}

	/** Normal behaviour. */
	public static Fault none() {
		return NONE;
	}

	/**
	 * The listener stops: new connections are refused. Clearing rebinds the same port.
	 */
	public static Fault down() {
		return new Fault(Kind.DOWN, Duration.ZERO, 0);
	}

	/**
	 * Connections are accepted but not answered until the switch changes or the simulator
	 * closes.
	 */
	public static Fault hang() {
		return new Fault(Kind.HANG, Duration.ZERO, 0);
	}

	/**
	 * Every answer is delayed by {@code delay} (wall-clock time), then given normally.
	 */
	public static Fault slow(Duration delay) {
		return new Fault(Kind.SLOW, delay, 0);
	}

	/** HTTP 429 with {@code Retry-After} in whole seconds and the API's error body. */
	public static Fault throttled(Duration retryAfter) {
		return new Fault(Kind.THROTTLED, retryAfter, 0);
	}

	/** The given 4xx or 5xx status with the API's error body. */
	public static Fault error(int status) {
		return new Fault(Kind.ERROR, Duration.ZERO, status);
	}

	/** The operation's success status with a body that is not JSON. */
	public static Fault malformed() {
		return new Fault(Kind.MALFORMED, Duration.ZERO, 0);
	}

	/**
	 * A successful token answer without {@code expiryOn} / {@code expiryTimeUtc} /
	 * {@code expires_in}.
	 */
	public static Fault missingFields() {
		return new Fault(Kind.MISSING_FIELDS, Duration.ZERO, 0);
	}

	/**
	 * A successful token answer whose token has already expired by the simulator's clock.
	 */
	public static Fault expired() {
		return new Fault(Kind.EXPIRED, Duration.ZERO, 0);
	}

	/** A successful, valid-looking JSON answer larger than 1 MiB. */
	public static Fault oversized() {
		return new Fault(Kind.OVERSIZED, Duration.ZERO, 0);
	}

	@Override
	public String toString() {
		return switch (this.kind) {
			case SLOW, THROTTLED -> this.kind + "(" + this.duration + ")";
			case ERROR -> this.kind + "(" + this.status + ")";
			default -> this.kind.name();
		};
	}

	/**
	 * The kinds of fault.
	 */
	public enum Kind {

		NONE, DOWN, HANG, SLOW, THROTTLED, ERROR, MALFORMED, MISSING_FIELDS, EXPIRED, OVERSIZED

	}

}
