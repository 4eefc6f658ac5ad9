package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the broker knows about one service's credential, without the credential: the body
 * of {@code GET /tokens/{service}/status} and the detail behind health and listings.
 *
 * @param service the name callers use
 * @param kind {@code webservice} or {@code online-endpoint}
 * @param workspace the workspace alias
 * @param region the region
 * @param required whether readiness depends on it
 * @param state {@code fresh}, {@code stale} (past refreshAfter, still usable),
 * {@code expired} (fetched once, no longer usable) or {@code missing} (never fetched)
 * @param runwaySeconds how much longer the cached token may be served, {@code null}
 * without one
 * @param expiresAt the cached token's expiry
 * @param refreshBy the cached token's refreshAfter
 * @param lastFetchAt the last successful fetch
 * @param lastAttemptAt the last attempt, successful or not
 * @param nextAttemptAt when the broker will fetch next
 * @param consecutiveFailures failed attempts since the last success
 * @param lastError the last failure since the last success
 * @param breaker the region's circuit breaker
 * @param fetching whether a fetch is running now
 * @param credentialType the cached credential's type, {@code aml_token}, {@code key} or
 * {@code aad_token}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServiceStatus(String service, String kind, String workspace, String region, boolean required,
		String state, Long runwaySeconds, String expiresAt, String refreshBy, String lastFetchAt, String lastAttemptAt,
		String nextAttemptAt, int consecutiveFailures, LastError lastError, Breaker breaker, boolean fetching,
		String credentialType) {

	public static final String FRESH = "fresh";

	public static final String STALE = "stale";

	public static final String EXPIRED = "expired";

	public static final String MISSING = "missing";

	/**
	 * The last failure: its class, a message naming the service and condition, the
	 * upstream status, and when.
	 *
	 * @param kind the failure class, e.g. {@code unavailable},
	 * {@code rejected_principal}, {@code breaker_open}
	 * @param message what happened
	 * @param status the upstream HTTP status, or 0
	 * @param at when
	 * @param needsOperator whether retrying cannot fix it
	 */
	public record LastError(String kind, String message, int status, String at, boolean needsOperator) {
	}

	/**
	 * A circuit breaker's name and state.
	 *
	 * @param name the region, or {@code entra}
	 * @param state {@code CLOSED}, {@code OPEN}, {@code HALF_OPEN}, …
	 */
	public record Breaker(String name, String state) {
	}

	static ServiceStatus of(ServiceDescriptor service, RefreshState refresh, BrokeredToken token, RefreshPolicy policy,
			Breaker breaker, boolean fetching, Instant now) {
		String state;
		Long runway = null;
		if (token != null) {
			state = policy.isStale(token, now) ? STALE : FRESH;
			runway = Duration.between(now, policy.hardExpiry(token)).toSeconds();
		}
		else {
			state = (refresh.lastSuccessAt() != null) ? EXPIRED : MISSING;
		}
		RefreshState.FetchError error = refresh.lastError();
		LastError lastError = (error != null) ? new LastError(error.kind(), error.message(), error.status(),
				AnswerTimes.iso(error.at()), !error.retryable()) : null;
		return new ServiceStatus(service.name().value(), service.kind().tag(), service.workspace().alias(),
				service.region(), service.required(), state, runway,
				(token != null) ? AnswerTimes.iso(token.expiresAt()) : null,
				(token != null) ? AnswerTimes.iso(token.refreshAfter()) : null,
				AnswerTimes.iso(refresh.lastSuccessAt()), AnswerTimes.iso(refresh.lastAttemptAt()),
				AnswerTimes.iso(refresh.nextAttemptAt()), refresh.consecutiveFailures(), lastError, breaker, fetching,
				(token != null) ? token.credentialType() : null);
	}

	/**
	 * @return whether this service has at least the given runway
	 */
	public boolean hasRunway(Duration minimum) {
		return this.runwaySeconds != null && this.runwaySeconds >= minimum.toSeconds();
	}

}
