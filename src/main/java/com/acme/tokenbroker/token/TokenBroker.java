package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The broker's entry point: the token to hand a caller for a configured service.
 * <p>
 * A cached token that is usable and meets the caller's minimum lifetime is returned at
 * once (a hit, or a stale hit once past {@code refreshAfter}). Otherwise the caller joins
 * the single in-flight fetch and waits for it up to the cold-miss deadline, unless the
 * refresh schedule holds fetches back ({@link RefreshPolicy#requestFetchHeldUntil}: a
 * failed fetch's retry ahead, the minimum refresh interval, a {@code minTtl} no fetch
 * gives) or the region's breaker is open or probing with a fetch in flight: then the
 * caller gets a 503 with {@code Retry-After} at once and the upstream sees no call. No
 * caller can drive the upstream harder than the background refresher does.
 */
public class TokenBroker {

	/** How a request was answered, for the {@code broker.token.requests} counter. */
	public enum Outcome {

		HIT, STALE, MISS, ERROR

	}

	/**
	 * How a report of a refused credential was answered, for the
	 * {@code broker.token.rejections} counter.
	 */
	public enum RejectionOutcome {

		/** The served credential was refused: a replacement was fetched and answered. */
		REFRESHED,

		/** An older credential was refused: the current one was answered, no fetch. */
		STALE_FINGERPRINT,

		/**
		 * No replacement now (held back by the refresh schedule or the breaker, the fetch
		 * failed, or the upstream issued the same credential again): a 503.
		 */
		REFUSED

	}

	private final TokenCache cache;

	private final RefreshPolicy policy;

	private final Duration coldMissDeadline;

	private final CircuitBreakers breakers;

	private final Clock clock;

	private final TokenRequestCounts counts;

	private final TokenRequestCounts rejections;

	public TokenBroker(ServiceCatalog catalog, TokenCache cache, RefreshPolicy policy, TokenProperties properties,
			CircuitBreakers breakers, MeterRegistry meterRegistry, Clock clock) {
		this(catalog, cache, policy, properties, breakers, meterRegistry, Map.of(), clock);
	}

	/**
	 * @param commonTags the tags every meter of the registry carries
	 * ({@code management.metrics.tags})
	 */
	TokenBroker(ServiceCatalog catalog, TokenCache cache, RefreshPolicy policy, TokenProperties properties,
			CircuitBreakers breakers, MeterRegistry meterRegistry, Map<String, String> commonTags, Clock clock) {
		this.cache = cache;
		this.breakers = breakers;
		this.policy = policy;
		this.coldMissDeadline = properties.coldMissDeadline();
		this.clock = clock;
		this.counts = TokenRequestCounts.register(catalog, meterRegistry, commonTags);
		this.rejections = TokenRequestCounts.registerRejections(catalog, meterRegistry, commonTags);
	}

	/**
	 * The token to serve for a service.
	 * @param service the configured service (callers are authorized before)
	 * @param minTtl how long the token must stay usable, {@link Duration#ZERO} for any
	 * usable token
	 * @return the token and whether it is stale
	 * @throws TokenUnavailableException when no token meeting the request can be had
	 * within the deadline
	 */
	public Served tokenFor(ServiceDescriptor service, Duration minTtl) {
		ServiceName name = service.name();
		BrokeredToken cached = this.cache.current(name);
		Instant now = this.clock.instant();
		if (cached != null && this.policy.satisfies(cached, now, minTtl)) {
			return hit(name, cached, now);
		}
		RefreshState state = this.cache.state(name);
		CircuitBreaker breaker = this.breakers.forRegion(service.region());
		boolean openOrProbing = CircuitBreakers.isOpenOrProbing(breaker);
		Instant heldUntil = this.policy.requestFetchHeldUntil(state, minTtl, !openOrProbing, now);
		if (heldUntil != null) {
			count(name, Outcome.ERROR);
			throw heldBack(name, cached, state, minTtl, Duration.between(now, heldUntil));
		}
		if (openOrProbing && this.cache.isLoading(name)) {
			count(name, Outcome.ERROR);
			throw new TokenUnavailableException(name, TokenUnavailableException.Reason.UPSTREAM_CIRCUIT_OPEN,
					this.breakers.untilProbe(breaker), "No usable token for service '" + name + "': circuit breaker '"
							+ breaker.getName() + "' is " + breaker.getState() + " and its probe is under way");
		}
		BrokeredToken fetched = await(service, this.cache.loadForCaller(service));
		now = this.clock.instant();
		if (!this.policy.satisfies(fetched, now, minTtl)) {
			count(name, Outcome.ERROR);
			throw new TokenUnavailableException(name, TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE,
					this.policy.minRefreshInterval(), "No token for service '" + name + "' stays usable for " + minTtl);
		}
		count(name, Outcome.MISS);
		return new Served(fetched, this.policy.isStale(fetched, now), true);
	}

	/**
	 * The answer to a caller reporting that the service refused a credential ({@code POST
	 * /tokens/{service}/rejections}).
	 * <ul>
	 * <li>The fingerprint is not that of the cached token: the caller holds an older
	 * credential, and gets the current one without any fetch
	 * ({@link RejectionOutcome#STALE_FINGERPRINT}).</li>
	 * <li>It is the cached token's: one fetch of a replacement, shared by every report
	 * and request meanwhile ({@link TokenCache#loadReplacing}), if the refresh schedule
	 * lets one start now ({@link RefreshPolicy#rejectionFetchHeldUntil}) and the region's
	 * breaker is closed; the replacement is answered
	 * ({@link RejectionOutcome#REFRESHED}).</li>
	 * <li>Otherwise a 503 with {@code Retry-After} ({@link RejectionOutcome#REFUSED}):
	 * held back ({@code credential-rejected}), breaker open, the fetch failed (the
	 * request path's problem types), or the upstream issued the rejected credential again
	 * ({@code credential-rejected}, retry after {@code min-refresh-interval}). The answer
	 * is never the rejected credential. Requests keep being served the cached token
	 * meanwhile: the upstream, not a caller, says which credential is current.</li>
	 * </ul>
	 * With nothing usable cached, this is a request for any usable token
	 * ({@link #tokenFor}), unless that answers the rejected credential.
	 * @param service the configured service (callers are authorized before)
	 * @param rejected the fingerprint of the credential the service refused
	 * @return the credential to use now
	 * @throws TokenUnavailableException when there is no other credential now
	 */
	public Served replaceRejected(ServiceDescriptor service, CredentialFingerprint rejected) {
		ServiceName name = service.name();
		BrokeredToken current = this.cache.current(name);
		if (current == null) {
			Served served;
			try {
				served = tokenFor(service, Duration.ZERO);
			}
			catch (TokenUnavailableException ex) {
				throw refused(name, ex);
			}
			if (rejected.matches(served.token().value())) {
				throw refused(name, stillIssued(name));
			}
			return countRejection(name,
					served.fetched() ? RejectionOutcome.REFRESHED : RejectionOutcome.STALE_FINGERPRINT, served);
		}
		if (!rejected.matches(current.value())) {
			return countRejection(name, RejectionOutcome.STALE_FINGERPRINT, served(current));
		}
		if (!this.cache.isLoading(name)) {
			CircuitBreaker breaker = this.breakers.forRegion(service.region());
			boolean openOrProbing = CircuitBreakers.isOpenOrProbing(breaker);
			Instant now = this.clock.instant();
			Instant heldUntil = this.policy.rejectionFetchHeldUntil(this.cache.state(name), !openOrProbing, now);
			if (heldUntil != null || openOrProbing) {
				// a fetch that ended since the first look may have replaced it already
				BrokeredToken again = this.cache.current(name);
				if (again != null && !rejected.matches(again.value())) {
					return countRejection(name, RejectionOutcome.STALE_FINGERPRINT, served(again));
				}
			}
			if (heldUntil != null) {
				throw refused(name, heldBack(name, this.cache.state(name), Duration.between(now, heldUntil)));
			}
			if (openOrProbing) {
				throw refused(name,
						new TokenUnavailableException(name, TokenUnavailableException.Reason.UPSTREAM_CIRCUIT_OPEN,
								this.breakers.untilProbe(breaker),
								"No replacement for the credential of service '" + name + "': circuit breaker '"
										+ breaker.getName() + "' is " + breaker.getState()));
			}
		}
		BrokeredToken fetched;
		try {
			fetched = awaitFetch(service, this.cache.loadReplacing(service, current));
		}
		catch (TokenUnavailableException ex) {
			throw refused(name, ex);
		}
		if (rejected.matches(fetched.value())) {
			throw refused(name, stillIssued(name));
		}
		return countRejection(name, RejectionOutcome.REFRESHED,
				new Served(fetched, this.policy.isStale(fetched, this.clock.instant()), true));
	}

	/**
	 * A rejection the refresh schedule does not let fetch now: after a failed fetch, that
	 * failure's problem type; otherwise {@code credential-rejected}.
	 */
	private TokenUnavailableException heldBack(ServiceName name, RefreshState state, Duration retryAfter) {
		RefreshState.FetchError error = (state.consecutiveFailures() > 0) ? state.lastError() : null;
		if (error != null) {
			return new TokenUnavailableException(name, reason(error.kind()), retryAfter,
					"No replacement for the credential of service '" + name + "' (last fetch: " + error.kind()
							+ "; next attempt in " + retryAfter.toSeconds() + " s)");
		}
		return new TokenUnavailableException(name, TokenUnavailableException.Reason.CREDENTIAL_REJECTED, retryAfter,
				"The credential of service '" + name + "' was read less than "
						+ this.policy.minRefreshInterval().toSeconds()
						+ " s ago (min-refresh-interval); next re-read in " + retryAfter.toSeconds() + " s");
	}

	private Served served(BrokeredToken token) {
		return new Served(token, this.policy.isStale(token, this.clock.instant()), false);
	}

	/**
	 * The upstream issued the refused credential again: the caller may report it again
	 * when the schedule lets the next re-read happen, {@code min-refresh-interval} after
	 * the read that issued it (in a fleet, perhaps a peer's a while ago).
	 */
	private TokenUnavailableException stillIssued(ServiceName name) {
		Instant now = this.clock.instant();
		Instant heldUntil = this.policy.rejectionFetchHeldUntil(this.cache.state(name), true, now);
		Duration retryAfter = (heldUntil != null) ? Duration.between(now, heldUntil) : this.policy.minRefreshInterval();
		return new TokenUnavailableException(name, TokenUnavailableException.Reason.CREDENTIAL_REJECTED, retryAfter,
				"The upstream still issues the refused credential of service '" + name
						+ "': it is the service's current one (check the caller's request)");
	}

	private Served countRejection(ServiceName name, RejectionOutcome outcome, Served served) {
		this.rejections.count(name, outcome);
		return served;
	}

	private TokenUnavailableException refused(ServiceName name, TokenUnavailableException failure) {
		this.rejections.count(name, RejectionOutcome.REFUSED);
		return failure;
	}

	/**
	 * The cached token when it can be served at once for {@code minTtl} zero (a hit or a
	 * stale hit, counted as {@link #tokenFor} counts them); never fetches, never waits,
	 * counts nothing otherwise.
	 * @param name a configured service (callers are authorized before)
	 * @return the token and whether it is stale, or {@code null} when {@link #tokenFor}
	 * would have to fetch or refuse
	 */
	public Served cached(ServiceName name) {
		// current() answers only a token usable now, which is what minTtl zero asks
		BrokeredToken cached = this.cache.current(name);
		return (cached != null) ? hit(name, cached, this.clock.instant()) : null;
	}

	private Served hit(ServiceName name, BrokeredToken cached, Instant now) {
		boolean stale = this.policy.isStale(cached, now);
		count(name, stale ? Outcome.STALE : Outcome.HIT);
		return new Served(cached, stale, false);
	}

	private BrokeredToken await(ServiceDescriptor service, CompletableFuture<BrokeredToken> fetch) {
		try {
			return awaitFetch(service, fetch);
		}
		catch (TokenUnavailableException ex) {
			count(service.name(), Outcome.ERROR);
			throw ex;
		}
	}

	/** Wait for a fetch up to the cold-miss deadline; counts nothing. */
	private BrokeredToken awaitFetch(ServiceDescriptor service, CompletableFuture<BrokeredToken> fetch) {
		ServiceName name = service.name();
		try {
			return fetch.get(this.coldMissDeadline.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			throw new TokenUnavailableException(name, TokenUnavailableException.Reason.DEADLINE_EXCEEDED,
					Duration.ofSeconds(1), "The token for service '" + name + "' is still being fetched");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new TokenUnavailableException(name, TokenUnavailableException.Reason.DEADLINE_EXCEEDED,
					Duration.ofSeconds(1), "Interrupted while waiting for the token of service '" + name + "'");
		}
		catch (ExecutionException ex) {
			throw unavailable(name, ex.getCause());
		}
	}

	/** The answer to a request the refresh schedule does not let fetch now. */
	private TokenUnavailableException heldBack(ServiceName name, BrokeredToken cached, RefreshState state,
			Duration minTtl, Duration retryAfter) {
		RefreshState.FetchError error = state.lastError();
		if (cached != null || ((!minTtl.isZero() && !minTtl.isNegative()) && error == null)) {
			return new TokenUnavailableException(name, TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE,
					retryAfter, "No token for service '" + name + "' stays usable for " + minTtl);
		}
		String condition = (error != null) ? error.kind() : "fetched moments ago";
		return new TokenUnavailableException(name, reason(condition), retryAfter, "No usable token for service '" + name
				+ "' (last fetch: " + condition + "; next attempt in " + retryAfter.toSeconds() + " s)");
	}

	private static TokenUnavailableException.Reason reason(String kindTag) {
		for (UpstreamException.Kind kind : UpstreamException.Kind.values()) {
			if (kind.tag().equals(kindTag)) {
				return reason(kind);
			}
		}
		return TokenUnavailableException.Reason.UPSTREAM_UNAVAILABLE;
	}

	private static TokenUnavailableException.Reason reason(UpstreamException.Kind kind) {
		return switch (kind) {
			case REJECTED_PRINCIPAL -> TokenUnavailableException.Reason.UPSTREAM_REJECTED_PRINCIPAL;
			case NOT_FOUND -> TokenUnavailableException.Reason.UPSTREAM_NOT_FOUND;
			case BREAKER_OPEN -> TokenUnavailableException.Reason.UPSTREAM_CIRCUIT_OPEN;
			case LOCALLY_LIMITED -> TokenUnavailableException.Reason.UPSTREAM_BUDGET_SPENT;
			default -> TokenUnavailableException.Reason.UPSTREAM_UNAVAILABLE;
		};
	}

	private TokenUnavailableException unavailable(ServiceName name, Throwable cause) {
		RefreshState state = this.cache.state(name);
		Instant now = this.clock.instant();
		Duration retryAfter = Duration.ofSeconds(1);
		if (state != null && state.nextAttemptAt() != null && state.nextAttemptAt().isAfter(now)) {
			retryAfter = Duration.between(now, state.nextAttemptAt());
		}
		TokenUnavailableException.Reason reason = (cause instanceof UpstreamException upstream)
				? reason(upstream.getKind()) : TokenUnavailableException.Reason.UPSTREAM_UNAVAILABLE;
		String condition = (cause instanceof UpstreamException upstream) ? upstream.getKind().tag()
				: cause.getClass().getSimpleName();
		return new TokenUnavailableException(name, reason, retryAfter,
				"No usable token for service '" + name + "' (last fetch: " + condition + ")");
	}

	private void count(ServiceName name, Outcome outcome) {
		this.counts.count(name, outcome);
	}

	/**
	 * A token handed to a caller.
	 *
	 * @param token the token
	 * @param stale whether it is past its {@code refreshAfter} (a refresh has failed or
	 * is running)
	 * @param fetched whether this request waited for an upstream fetch
	 */
	public record Served(BrokeredToken token, boolean stale, boolean fetched) {
	}

}
