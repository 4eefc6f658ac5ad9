package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.random.RandomGenerator;

import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.UpstreamException;

/**
 * When a token may be served, when it is stale, and when to fetch the next one: the
 * timing rules of the broker in one place, as pure functions of the token and an instant
 * (the caller passes the clock's reading).
 * <ul>
 * <li>usable until its hard expiry, {@code expiresAt - expiryMargin}; never after;</li>
 * <li>stale from {@code refreshAfter} on: still served, but the upstream should have
 * given a new one;</li>
 * <li>next refresh at {@code refreshAfter} minus a random jitter of up to
 * {@code refreshJitter} (at most half the time the token had before
 * {@code refreshAfter}), never sooner than {@code minRefreshInterval} after the
 * fetch;</li>
 * <li>an Entra ID token handed out ({@code aad_token}) is refreshed at half-life or
 * Entra's {@code refresh_in} ({@link #entraRefreshAfter});</li>
 * <li>after failures, exponential backoff with full jitter (anywhere from a floor of a
 * second up to the doubled delay), capped; an upstream's {@code Retry-After} or an open
 * breaker's wait is never cut short;</li>
 * <li>a caller's request obeys the same schedule ({@link #requestFetchHeldUntil}): it
 * starts no fetch while a failed one's retry is ahead, within {@code minRefreshInterval}
 * of the last attempt, or for a {@code minTtl} that the last fetch could not have
 * satisfied before the next scheduled refresh;</li>
 * <li>a key is re-read every {@code key-refresh} and served at most {@code key-max-age}
 * after it was read ({@link #keyRefreshAfter}, {@link #keyExpiresAt}); a service's
 * metadata is current for {@code metadata-refresh} ({@link #metadataCurrent}), and an
 * upstream refusing the credential re-reads it at most once per
 * {@code minRefreshInterval} ({@link #mayReReadMetadata});</li>
 * <li>a caller's report that the service refused the served credential fetches a
 * replacement under the same schedule as a request ({@link #rejectionFetchHeldUntil}),
 * and in a fleet a credential a peer fetched within {@code minRefreshInterval} answers it
 * ({@link #fleetRejectionHeld}).</li>
 * </ul>
 * The one timing rule that is not here is the broker's own sign-in to Entra ID
 * ({@code principal.SignInPolicy}): the identity sits below the token cache and cannot
 * depend on it.
 */
public class RefreshPolicy {

	private static final CredentialProperties DEFAULT_CREDENTIALS = new CredentialProperties(Duration.ofMinutes(10),
			Duration.ofMinutes(5), Duration.ofHours(24), KeySlot.PRIMARY);

	private final TokenProperties properties;

	private final CredentialProperties credentials;

	private final RandomGenerator random;

	/**
	 * A policy with the default credential timing ({@code broker.credentials}: keys
	 * re-read every 5 minutes and served up to 24 hours, metadata re-read every 10
	 * minutes).
	 * @param properties the cache's timing
	 * @param random the source of jitter
	 */
	public RefreshPolicy(TokenProperties properties, RandomGenerator random) {
		this(properties, DEFAULT_CREDENTIALS, random);
	}

	public RefreshPolicy(TokenProperties properties, CredentialProperties credentials, RandomGenerator random) {
		this.properties = properties;
		this.credentials = credentials;
		this.random = random;
	}

	public Instant hardExpiry(BrokeredToken token) {
		return token.expiresAt().minus(this.properties.expiryMargin());
	}

	public boolean isUsable(BrokeredToken token, Instant now) {
		return now.isBefore(hardExpiry(token));
	}

	public boolean isStale(BrokeredToken token, Instant now) {
		return !now.isBefore(token.refreshAfter());
	}

	/**
	 * @param token the cached token
	 * @param now the current instant
	 * @param minTtl how long the caller needs it to stay usable
	 * @return whether the token is usable now and still will be after {@code minTtl}
	 */
	public boolean satisfies(BrokeredToken token, Instant now, Duration minTtl) {
		return now.plus(minTtl).isBefore(hardExpiry(token));
	}

	public Instant nextRefresh(BrokeredToken token) {
		Instant refreshAfter = token.refreshAfter();
		Instant hardExpiry = hardExpiry(token);
		Instant target = refreshAfter.isBefore(hardExpiry) ? refreshAfter : hardExpiry;
		long windowMillis = Math.max(0, Duration.between(token.fetchedAt(), target).toMillis() / 2);
		long jitterMillis = Math.min(this.properties.refreshJitter().toMillis(), windowMillis);
		Instant at = (jitterMillis > 0) ? target.minusMillis(this.random.nextLong(jitterMillis + 1)) : target;
		Instant earliest = token.fetchedAt().plus(this.properties.minRefreshInterval());
		return at.isBefore(earliest) ? earliest : at;
	}

	/**
	 * The next refresh of a token just fetched: {@link #nextRefresh}, but never sooner
	 * than {@code minRefreshInterval} from now, so a token fetched earlier elsewhere (a
	 * fleet peer's) that is already due starts no retry loop.
	 * @param token the token just fetched
	 * @param now the current instant
	 * @return when to refresh it
	 */
	public Instant nextRefreshAfterFetch(BrokeredToken token, Instant now) {
		Instant next = nextRefresh(token);
		Instant earliest = now.plus(this.properties.minRefreshInterval());
		return next.isBefore(earliest) ? earliest : next;
	}

	/**
	 * When to try again after a failed fetch: held back by the broker (breaker open,
	 * budget spent, a fleet peer fetching) with a wait given → just after that wait
	 * ({@link #afterHoldBack}); refused by the upstream for a reason an operator must fix
	 * → the longest backoff; otherwise exponential backoff with full jitter
	 * ({@link #backoff}). Never sooner than the upstream's {@code Retry-After}.
	 * @param kind what went wrong
	 * @param retryAfter the wait the upstream, breaker or limiter asked for, or
	 * {@code null}
	 * @param consecutiveFailures failures in a row, this one included
	 * @return the delay before the next attempt
	 */
	public Duration retryDelay(UpstreamException.Kind kind, Duration retryAfter, int consecutiveFailures) {
		if ((kind == UpstreamException.Kind.BREAKER_OPEN || kind == UpstreamException.Kind.LOCALLY_LIMITED
				|| kind == UpstreamException.Kind.PEER_FETCHING) && retryAfter != null) {
			return afterHoldBack(retryAfter);
		}
		Duration delay = kind.isRetryable() ? backoff(consecutiveFailures) : maxBackoff();
		if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
			delay = retryAfter;
		}
		return delay;
	}

	/**
	 * When a caller's request that finds no token it can use may start a fetch. Held
	 * back, the caller gets a 503 at once with {@code Retry-After} until the returned
	 * instant, and the upstream sees no call:
	 * <ul>
	 * <li>while the last attempt failed and its retry, scheduled with the backoff and the
	 * upstream's {@code Retry-After}, is still ahead (a 404, 403 or 429 is not re-asked
	 * per request);</li>
	 * <li>within {@code minRefreshInterval} of the last attempt, successful or not;</li>
	 * <li>for a {@code minTtl} at least the runway the last fetch gave, until the next
	 * scheduled refresh (a new fetch would not satisfy it either).</li>
	 * </ul>
	 * A fetch the broker held back itself made no upstream call and holds nothing back
	 * once the reason is gone: a fleet peer's lock ({@code peer_fetching}), or the
	 * region's breaker ({@code breaker_open}) once it has closed.
	 * @param state what is known of the service's fetches, or {@code null}
	 * @param minTtl the runway the caller asks for
	 * @param breakerClosed whether the service's region breaker lets calls through now
	 * @param now the current instant
	 * @return {@code null} when the request may fetch now, else the instant from which it
	 * may
	 */
	public Instant requestFetchHeldUntil(RefreshState state, Duration minTtl, boolean breakerClosed, Instant now) {
		if (state == null || state.lastAttemptAt() == null) {
			return null;
		}
		Instant next = state.nextAttemptAt();
		RefreshState.FetchError error = state.lastError();
		boolean heldBackLocally = error != null && (UpstreamException.Kind.PEER_FETCHING.tag().equals(error.kind())
				|| (breakerClosed && UpstreamException.Kind.BREAKER_OPEN.tag().equals(error.kind())));
		if (!heldBackLocally) {
			if (state.consecutiveFailures() > 0 && next != null && now.isBefore(next)) {
				return next;
			}
			Instant earliest = state.lastAttemptAt().plus(this.properties.minRefreshInterval());
			if (now.isBefore(earliest)) {
				return earliest;
			}
		}
		Duration runway = state.lastRunway();
		if ((!minTtl.isZero() && !minTtl.isNegative()) && runway != null && minTtl.compareTo(runway) >= 0
				&& next != null && now.isBefore(next)) {
			return next;
		}
		return null;
	}

	/**
	 * When a caller's report that the service refused the served credential ({@code POST
	 * /tokens/{service}/rejections}) may fetch a replacement: under the rules of a
	 * caller's request for any usable token ({@link #requestFetchHeldUntil} with no
	 * {@code minTtl}): not while a failed fetch's retry is ahead, and not within
	 * {@code minRefreshInterval} of the last attempt, whether that was a scheduled
	 * refresh, a request's fetch or another rejection's. Reports cannot drive the
	 * upstream harder than requests do; a credential regenerated outside the broker right
	 * after a fetch is replaced at most {@code minRefreshInterval} later.
	 * @param state what is known of the service's fetches, or {@code null}
	 * @param breakerClosed whether the service's region breaker lets calls through now
	 * @param now the current instant
	 * @return {@code null} when the rejection may fetch now, else the instant from which
	 * it may
	 */
	public Instant rejectionFetchHeldUntil(RefreshState state, boolean breakerClosed, Instant now) {
		return requestFetchHeldUntil(state, Duration.ZERO, breakerClosed, now);
	}

	/**
	 * Whether a fleet's shared credential of the value a caller reported refused answers
	 * that report without an upstream call: it is usable and was fetched less than
	 * {@code minRefreshInterval} ago, so it is the upstream's latest answer, which a new
	 * fetch would most likely repeat. Every instance has its own
	 * {@link #rejectionFetchHeldUntil}; this rule holds the fleet to one upstream call
	 * per {@code minRefreshInterval} for a credential the upstream keeps issuing, not one
	 * per instance that gets a report.
	 * @param shared the fleet's shared token, of the rejected value
	 * @param now the current instant
	 * @return whether to answer the report with it instead of fetching
	 */
	public boolean fleetRejectionHeld(BrokeredToken shared, Instant now) {
		return isUsable(shared, now) && now.isBefore(shared.fetchedAt().plus(this.properties.minRefreshInterval()));
	}

	/**
	 * When the upstream was last asked, as far as the schedule counts
	 * ({@link #requestFetchHeldUntil}), after a fetch that ended at {@code now} with
	 * {@code token}: then, unless the fleet answered the fetch with a peer's recent read
	 * ({@code SharedTokenSource}): a token fetched before this fetch began (to the
	 * millisecond, as {@code fetchedAt} is kept), within {@code minRefreshInterval}, not
	 * stale (a stale answer is what the fleet gives after a failure) and newer than the
	 * one held. Then the upstream was asked at its {@code fetchedAt}, the instant the
	 * fleet's own hold of a reported credential counts from
	 * ({@link #fleetRejectionHeld}), so the {@code Retry-After} this instance answers and
	 * its own hold end together. An attempt recorded later is kept: a peer's clock
	 * running behind cannot take the schedule back.
	 * @param token the token the fetch ended with
	 * @param held the token cached when the fetch began, or {@code null}
	 * @param lastAttempt the attempt recorded before this fetch, or {@code null}
	 * @param fetchStarted when the fetch began
	 * @param now when it ended
	 * @return the attempt to record
	 */
	public Instant upstreamAttemptAt(BrokeredToken token, BrokeredToken held, Instant lastAttempt, Instant fetchStarted,
			Instant now) {
		Instant read = token.fetchedAt();
		boolean peers = read != null && read.isBefore(fetchStarted.truncatedTo(ChronoUnit.MILLIS))
				&& read.isAfter(now.minus(this.properties.minRefreshInterval())) && !isStale(token, now)
				&& (held == null || held.fetchedAt() == null || read.isAfter(held.fetchedAt()));
		if (!peers) {
			return now;
		}
		return (lastAttempt != null && lastAttempt.isAfter(read)) ? lastAttempt : read;
	}

	/**
	 * When the broker replaces an Entra ID token it hands out ({@code aad_token}): at
	 * half its lifetime, or at Entra's {@code refresh_in} when that comes sooner, so the
	 * token has half its life left as stale-but-valid runway when Entra ID is down at
	 * refresh time (azure-identity's own cache would wait until five minutes before
	 * expiry).
	 * @param acquiredAt when the token was acquired
	 * @param expiresAt when it expires
	 * @param refreshIn Entra's suggested refresh time, or {@code null} when it sent none
	 * @return the token's {@code refreshAfter}
	 */
	public static Instant entraRefreshAfter(Instant acquiredAt, Instant expiresAt, Instant refreshIn) {
		Instant halfLife = acquiredAt.plus(Duration.between(acquiredAt, expiresAt).dividedBy(2));
		if (refreshIn != null && refreshIn.isAfter(acquiredAt) && refreshIn.isBefore(halfLife)) {
			return refreshIn;
		}
		return halfLife.isAfter(acquiredAt) ? halfLife : expiresAt;
	}

	/**
	 * A key's {@code refreshAfter}: keys do not expire, so the freshness contract is the
	 * broker's, the next re-read.
	 * @param readAt when the key was read
	 * @return when to re-read it
	 */
	public Instant keyRefreshAfter(Instant readAt) {
		return readAt.plus(this.credentials.keyRefresh());
	}

	/**
	 * A key's {@code expiresAt}: the longest the broker serves a key it could not
	 * re-read.
	 * @param readAt when the key was read
	 * @return when it stops being served
	 */
	public Instant keyExpiresAt(Instant readAt) {
		return readAt.plus(this.credentials.keyMaxAge());
	}

	/**
	 * @param readAt when the service's metadata was read
	 * @param now the current instant
	 * @return whether that reading is still used without asking the upstream again
	 */
	public boolean metadataCurrent(Instant readAt, Instant now) {
		return now.isBefore(readAt.plus(this.credentials.metadataRefresh()));
	}

	/**
	 * Whether an upstream refusing the credential the broker asked for may re-read the
	 * service's metadata now: at most once per {@code minRefreshInterval}, so a refusal
	 * that persists (the re-read found the same mode) does not turn every retry into two
	 * upstream calls.
	 * @param lastReadAt when the metadata was last read, or {@code null}
	 * @param now the current instant
	 * @return whether to re-read
	 */
	public boolean mayReReadMetadata(Instant lastReadAt, Instant now) {
		return lastReadAt == null || !now.isBefore(lastReadAt.plus(this.properties.minRefreshInterval()));
	}

	/**
	 * @param consecutiveFailures failures in a row, at least 1
	 * @return the delay before the next attempt
	 */
	public Duration backoff(int consecutiveFailures) {
		long initial = this.properties.retryInitialBackoff().toMillis();
		long max = this.properties.retryMaxBackoff().toMillis();
		int shift = Math.min(Math.max(consecutiveFailures - 1, 0), 30);
		long delay = Math.min(max, initial << shift);
		if (delay <= 0 || delay > max) {
			delay = max;
		}
		long floor = Math.min(1000, initial);
		return Duration.ofMillis(Math.max(floor, this.random.nextLong(delay + 1)));
	}

	/**
	 * The delay before retrying a fetch the broker itself held back (breaker open, budget
	 * spent): the wait it was given plus up to a tenth more, so the services of a region
	 * do not all probe at the same instant.
	 * @param wait the wait the breaker or limiter asked for
	 * @return the delay
	 */
	public Duration afterHoldBack(Duration wait) {
		long millis = wait.toMillis();
		return Duration.ofMillis(millis + this.random.nextLong(Math.max(1, millis / 10) + 1));
	}

	public Duration maxBackoff() {
		return this.properties.retryMaxBackoff();
	}

	public Duration minRefreshInterval() {
		return this.properties.minRefreshInterval();
	}

}
