package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When a token may be served, when it is stale, and when to fetch the next one: the timing rules of the broker in
 * one place, as pure functions of the token and an instant (the caller passes the clock's reading).
 * <ul>
 * <li>usable until its hard expiry, {@code expiresAt - expiryMargin}; never after;</li>
 * <li>stale from {@code refreshAfter} on: still served, but the upstream should have given a new one;</li>
 * <li>next refresh at {@code refreshAfter} minus a random jitter of up to {@code refreshJitter} (at most half the
 * time the token had before {@code refreshAfter}), never sooner than {@code minRefreshInterval} after the fetch;</li>
 * <li>after failures, exponential backoff with jitter between half and all of the delay, capped.</li>
 * </ul>
 */
public class RefreshPolicy {

	private final TokenProperties properties;

	private final RandomGenerator random;

	public RefreshPolicy(TokenProperties properties, RandomGenerator random) {
		this.properties = properties;
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
		long half = delay / 2;
		return Duration.ofMillis(half + this.random.nextLong(delay - half + 1));
	}

	public Duration maxBackoff() {
		return this.properties.retryMaxBackoff();
	}

	public Duration minRefreshInterval() {
		return this.properties.minRefreshInterval();
	}

}
