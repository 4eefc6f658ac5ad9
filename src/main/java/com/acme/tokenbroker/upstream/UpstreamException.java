package com.acme.tokenbroker.upstream;

import java.time.Duration;

import com.acme.tokenbroker.system.OutageSignal;

/**
 * A failed upstream call, classified so that callers can decide whether to retry. The
 * message names the service and the condition, never a token or a response body. Stack
 * traces are not captured: these failures are expected and may be frequent during an
 * outage.
 */
public class UpstreamException extends RuntimeException implements OutageSignal {

	/** What went wrong, coarse enough for metrics and retry decisions. */
	public enum Kind {

		/** Connection refused or reset, timeout, or a 5xx answer: retry with backoff. */
		UNAVAILABLE(true, "unavailable"),

		/** 429: retry, not before {@code Retry-After}. */
		THROTTLED(true, "throttled"),

		/**
		 * A 2xx answer that is not a usable token (not JSON, fields missing, times
		 * inconsistent, too large).
		 */
		INVALID_RESPONSE(true, "invalid_response"),

		/** 401 or 403: the broker's principal lacks the role; an operator must act. */
		REJECTED_PRINCIPAL(false, "rejected_principal"),

		/** 404: the configured service does not exist upstream; an operator must act. */
		NOT_FOUND(false, "not_found"),

		/**
		 * Another 4xx: the request itself was refused (e.g. token auth asked of a
		 * key-auth service).
		 */
		REJECTED_REQUEST(false, "rejected_request"),

		/** An asynchronous upstream operation (key regeneration) ended in failure. */
		OPERATION_FAILED(false, "operation_failed"),

		/** The broker could not obtain its own Entra ID token. */
		PRINCIPAL_UNAVAILABLE(true, "principal_unavailable"),

		/** The region's circuit breaker is open: the upstream was not called. */
		BREAKER_OPEN(true, "breaker_open"),

		/**
		 * The region's request budget or concurrency limit is spent: the upstream was not
		 * called.
		 */
		LOCALLY_LIMITED(true, "locally_limited"),

		/**
		 * Another broker instance of the fleet is fetching this token: the upstream was
		 * not called.
		 */
		PEER_FETCHING(true, "peer_fetching");

		private final boolean retryable;

		private final String tag;

		Kind(boolean retryable, String tag) {
			this.retryable = retryable;
			this.tag = tag;
		}

		public boolean isRetryable() {
			return this.retryable;
		}

		/**
		 * @return whether a failure of this kind says the upstream region is unhealthy
		 * and counts toward opening its circuit breaker: no answer, 5xx, 429 and unusable
		 * answers do; refusals an operator must fix, and calls the broker itself did not
		 * make, do not
		 */
		public boolean isOutage() {
			return this == UNAVAILABLE || this == THROTTLED || this == INVALID_RESPONSE;
		}

		/**
		 * @return a stable lower-case name for metrics tags and problem details
		 */
		public String tag() {
			return this.tag;
		}

	}

	private final Kind kind;

	private final int status;

	private final Duration retryAfter;

	public UpstreamException(Kind kind, int status, Duration retryAfter, String message) {
		this(kind, status, retryAfter, message, null);
	}

	public UpstreamException(Kind kind, int status, Duration retryAfter, String message, Throwable cause) {
		super(message, cause, false, false);
		this.kind = kind;
		this.status = status;
		this.retryAfter = retryAfter;
	}

	public Kind getKind() {
		return this.kind;
	}

	/**
	 * @return whether an outage explains this failure ({@link Kind#isOutage()}): only
	 * then does the region's breaker count it
	 */
	@Override
	public boolean isOutage() {
		return this.kind.isOutage();
	}

	/**
	 * @return the HTTP status the upstream answered, or 0 when there was no answer
	 */
	public int getStatus() {
		return this.status;
	}

	/**
	 * @return the upstream's {@code Retry-After}, or {@code null}
	 */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
