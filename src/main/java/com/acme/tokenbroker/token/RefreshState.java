package com.acme.tokenbroker.token;

import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * What the broker knows about fetching one service's token: never the token itself.
 * Updated only when a fetch completes (one at a time per service), read by the refresh
 * scheduler, the status endpoint and metrics.
 */
public final class RefreshState {

	private final ServiceDescriptor service;

	private volatile Instant nextAttemptAt;

	private volatile Instant lastAttemptAt;

	private volatile Instant lastSuccessAt;

	private volatile int consecutiveFailures;

	private volatile FetchError lastError;

	private volatile Instant lastHardExpiry;

	private volatile java.time.Duration lastRunway;

	RefreshState(ServiceDescriptor service) {
		this.service = service;
	}

	/**
	 * The last failure, described without any token or response body.
	 *
	 * @param kind the failure class, e.g. {@code unavailable}, {@code rejected_principal}
	 * @param message a message naming the service and condition
	 * @param status the upstream HTTP status, or 0
	 * @param at when it happened
	 * @param retryable whether it is worth retrying without an operator
	 */
	public record FetchError(String kind, String message, int status, Instant at, boolean retryable) {
	}

	synchronized void succeeded(Instant now, Instant nextRefresh, Instant hardExpiry) {
		succeeded(now, now, nextRefresh, hardExpiry);
	}

	/**
	 * A fetch that ended with a usable token.
	 * @param upstreamAttemptAt when the upstream was last asked for it
	 * ({@link RefreshPolicy#upstreamAttemptAt}: before {@code now} for a fleet peer's)
	 * @param now when the fetch ended
	 * @param nextRefresh when the scheduler fetches next
	 * @param hardExpiry when the token expires
	 */
	synchronized void succeeded(Instant upstreamAttemptAt, Instant now, Instant nextRefresh, Instant hardExpiry) {
		this.lastHardExpiry = hardExpiry;
		this.lastRunway = java.time.Duration.between(now, hardExpiry);
		this.lastAttemptAt = upstreamAttemptAt;
		this.lastSuccessAt = now;
		this.consecutiveFailures = 0;
		this.lastError = null;
		this.nextAttemptAt = nextRefresh;
	}

	synchronized int failed(FetchError error) {
		this.lastAttemptAt = error.at();
		this.lastError = error;
		return ++this.consecutiveFailures;
	}

	void scheduleAt(Instant next) {
		this.nextAttemptAt = next;
	}

	public ServiceDescriptor service() {
		return this.service;
	}

	/**
	 * @return when the scheduler will next fetch, or {@code null} when nothing is
	 * scheduled
	 */
	public Instant nextAttemptAt() {
		return this.nextAttemptAt;
	}

	public Instant lastAttemptAt() {
		return this.lastAttemptAt;
	}

	public Instant lastSuccessAt() {
		return this.lastSuccessAt;
	}

	public int consecutiveFailures() {
		return this.consecutiveFailures;
	}

	public FetchError lastError() {
		return this.lastError;
	}

	/**
	 * @return how long the last token fetched was usable when it arrived, or {@code null}
	 * if none was ever fetched: the longest {@code minTtl} a fetch can be expected to
	 * satisfy
	 */
	public java.time.Duration lastRunway() {
		return this.lastRunway;
	}

	/**
	 * @return until when the last token fetched could be served, or {@code null} if none
	 * was ever fetched
	 */
	public Instant lastHardExpiry() {
		return this.lastHardExpiry;
	}

}
