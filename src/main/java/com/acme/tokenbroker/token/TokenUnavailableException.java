package com.acme.tokenbroker.token;

import java.time.Duration;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * No usable token can be served now: none is cached and the fetch failed or missed the
 * caller's deadline, or the caller's {@code minTtl} cannot be met: a 503 problem whose
 * {@code type} says why, with {@code Retry-After}.
 */
public class TokenUnavailableException extends ErrorResponseException {

	/** Why no token could be served, as a stable problem sub-type. */
	public enum Reason {

		/** The fetch is still running past the caller's deadline. */
		DEADLINE_EXCEEDED("deadline-exceeded", "Token fetch still in progress"),

		/** The upstream failed or could not be reached. */
		UPSTREAM_UNAVAILABLE("upstream-unavailable", "Upstream unavailable"),

		/**
		 * The region's circuit breaker is open: the upstream is not being called until
		 * the next probe.
		 */
		UPSTREAM_CIRCUIT_OPEN("upstream-circuit-open", "Upstream circuit open"),

		/** The region's request budget or concurrency limit is spent for now. */
		UPSTREAM_BUDGET_SPENT("upstream-budget-spent", "Upstream request budget spent"),

		/** The upstream refused the broker's own principal (401/403). */
		UPSTREAM_REJECTED_PRINCIPAL("upstream-rejected-principal", "Broker not authorized upstream"),

		/** The service does not exist upstream (404). */
		UPSTREAM_NOT_FOUND("upstream-not-found", "Service not found upstream"),

		/**
		 * The caller asked for a longer remaining lifetime than any token the broker can
		 * get now.
		 */
		MIN_TTL_UNSATISFIABLE("min-ttl-unsatisfiable", "Requested minimum lifetime not available"),

		/**
		 * A caller reported the served credential refused, and no other can be had yet:
		 * it was re-read within {@code min-refresh-interval}, or the upstream issued the
		 * same one again.
		 */
		CREDENTIAL_REJECTED("credential-rejected", "No replacement for the rejected credential yet");

		private final String slug;

		private final String title;

		Reason(String slug, String title) {
			this.slug = slug;
			this.title = title;
		}

		public String slug() {
			return this.slug;
		}

		public String title() {
			return this.title;
		}

	}

	private final ServiceName service;

	private final Reason reason;

	private final Duration retryAfter;

	private final String message;

	public TokenUnavailableException(ServiceName service, Reason reason, Duration retryAfter, String message) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(service, reason, retryAfter, message), null);
		this.service = service;
		this.reason = reason;
		this.retryAfter = retryAfter;
		this.message = message;
		getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds(retryAfter)));
	}

	private static ProblemDetail problem(ServiceName service, Reason reason, Duration retryAfter, String message) {
		ProblemDetail problem = Problems.of(HttpStatus.SERVICE_UNAVAILABLE, Problems.type(reason.slug()),
				reason.title(), message);
		problem.setProperty("service", service.value());
		problem.setProperty("retryAfterSeconds", retryAfterSeconds(retryAfter));
		return problem;
	}

	/**
	 * Whole seconds, rounded up, at least one: a client told 0 would ask again at once.
	 */
	private static long retryAfterSeconds(Duration retryAfter) {
		if (retryAfter == null) {
			return 1;
		}
		long seconds = (retryAfter.toMillis() + 999) / 1000;
		return Math.max(1, seconds);
	}

	@Override
	public String getMessage() {
		return this.message;
	}

	/**
	 * Thrown on every refused cold request: a stack trace would cost more than the
	 * answer.
	 */
	@Override
	public synchronized Throwable fillInStackTrace() {
		return this;
	}

	public ServiceName getService() {
		return this.service;
	}

	public Reason getReason() {
		return this.reason;
	}

	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
