package com.acme.tokenbroker.token;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Caching and refresh settings, bound from {@code broker.tokens}.
 *
 * @param expiryMargin a token is never served once fewer than this remain before its
 * expiry (clock skew, transit)
 * @param refreshJitter refreshes are scheduled up to this long before
 * {@code refreshAfter}, at random, so replicas do not refresh together
 * @param minRefreshInterval never fetch one service's token twice within this interval,
 * whatever the upstream's {@code refreshAfter} or a caller's {@code minTtl} ask
 * @param retryInitialBackoff first delay after a failed fetch; doubles per consecutive
 * failure
 * @param retryMaxBackoff longest delay between attempts; also the delay after an operator
 * error (401, 403, 404)
 * @param coldMissDeadline how long a caller with no cached token waits for the in-flight
 * fetch before a 503
 * @param warmUp fetch every configured service's token at start
 * @param maxSize upper bound on cached tokens
 * @param refreshCheckInterval how often due refreshes are looked for; {@code 0} disables
 * the background scheduler (tests drive it)
 * @param fetchConcurrency threads making token fetches, per region: the most that run at
 * once in one region
 * @param maxMinTtl the largest {@code minTtl} a caller may ask for
 * @param minRunway readiness holds while every required service has a token usable at
 * least this much longer
 * @param fastPath answer a plain {@code GET /tokens/{service}} for a cached token and an
 * already verified caller before the security filter chain and Spring MVC (same response,
 * see {@code CachedTokenFilter}); everything else takes the full chain either way
 */
@ConfigurationProperties("broker.tokens")
public record TokenProperties(@DefaultValue("5m") Duration expiryMargin, @DefaultValue("5m") Duration refreshJitter,
		@DefaultValue("30s") Duration minRefreshInterval, @DefaultValue("5s") Duration retryInitialBackoff,
		@DefaultValue("5m") Duration retryMaxBackoff, @DefaultValue("5s") Duration coldMissDeadline,
		@DefaultValue("true") boolean warmUp, @DefaultValue("10000") int maxSize,
		@DefaultValue("1s") Duration refreshCheckInterval, @DefaultValue("4") int fetchConcurrency,
		@DefaultValue("24h") Duration maxMinTtl, @DefaultValue("10m") Duration minRunway,
		@DefaultValue("true") boolean fastPath) {

	@ConstructorBinding
	public TokenProperties {
		requireNotNegative("broker.tokens.expiry-margin", expiryMargin);
		requireNotNegative("broker.tokens.refresh-jitter", refreshJitter);
		requireNotNegative("broker.tokens.min-refresh-interval", minRefreshInterval);
		requirePositive("broker.tokens.retry-initial-backoff", retryInitialBackoff);
		requirePositive("broker.tokens.retry-max-backoff", retryMaxBackoff);
		requirePositive("broker.tokens.cold-miss-deadline", coldMissDeadline);
		requireNotNegative("broker.tokens.refresh-check-interval", refreshCheckInterval);
		requirePositive("broker.tokens.max-min-ttl", maxMinTtl);
		requireNotNegative("broker.tokens.min-runway", minRunway);
		if (retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
			throw new IllegalArgumentException(
					"broker.tokens.retry-max-backoff must not be shorter than broker.tokens.retry-initial-backoff");
		}
		if (maxSize < 1) {
			throw new IllegalArgumentException("broker.tokens.max-size must be at least 1");
		}
		if (fetchConcurrency < 1 || fetchConcurrency > 64) {
			throw new IllegalArgumentException("broker.tokens.fetch-concurrency must be between 1 and 64");
		}
	}

	/** The settings with the fast path on (its default). */
	public TokenProperties(Duration expiryMargin, Duration refreshJitter, Duration minRefreshInterval,
			Duration retryInitialBackoff, Duration retryMaxBackoff, Duration coldMissDeadline, boolean warmUp,
			int maxSize, Duration refreshCheckInterval, int fetchConcurrency, Duration maxMinTtl, Duration minRunway) {
		this(expiryMargin, refreshJitter, minRefreshInterval, retryInitialBackoff, retryMaxBackoff, coldMissDeadline,
				warmUp, maxSize, refreshCheckInterval, fetchConcurrency, maxMinTtl, minRunway, true);
	}

	private static void requireNotNegative(String property, Duration value) {
		if (value.isNegative()) {
			throw new IllegalArgumentException(property + " must not be negative");
		}
	}

	private static void requirePositive(String property, Duration value) {
		if (value.isNegative() || value.isZero()) {
			throw new IllegalArgumentException(property + " must be positive");
		}
	}

}
