package com.acme.tokenbroker.security;

import java.net.MalformedURLException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.ResourceRetriever;

/**
 * An issuer's signing keys, fetched from its JWK set URI through Nimbus'
 * {@link JWKSourceBuilder} chain: cached for {@link #CACHE_TIME_TO_LIVE}, refreshed ahead
 * of expiry, and re-fetched for a {@code kid} not in the cached set at most twice per
 * rate-limit window (Nimbus lets a second fetch through); while the endpoint cannot be
 * reached, the last set is used for up to {@link #OUTAGE_TOLERANCE}. Spring Security's
 * {@code withJwkSetUri} builds its source with the rate limit off, so every token naming
 * a random {@code kid} made one outbound fetch.
 * <p>
 * Two changes to Nimbus' own {@link JWKSetBasedJWKSource}: time comes from the injected
 * {@link Clock} (Nimbus reads the system clock there; its cache and rate limit take the
 * time as an argument), and a re-fetch refused by the rate limit is "no matching key"
 * (the token gets 401) rather than a key-source failure (which Spring Security turns into
 * an authentication service error).
 */
final class RateLimitedJwkSource implements JWKSource<SecurityContext> {

	/** How long a fetched key set is used before it is fetched again. */
	static final Duration CACHE_TIME_TO_LIVE = Duration.ofMinutes(5);

	/** How long a request waits for another thread's fetch of the same set. */
	static final Duration CACHE_REFRESH_TIMEOUT = Duration.ofSeconds(15);

	/**
	 * How long the last key set fetched is still used while the issuer's key endpoint
	 * cannot be reached: callers keep being verified through an Entra ID or cluster
	 * outage (a key rolled during the outage is not seen until the endpoint answers
	 * again).
	 */
	static final Duration OUTAGE_TOLERANCE = Duration.ofHours(12);

	/**
	 * A request within this time of the cache's expiry starts a fetch in the background.
	 */
	static final Duration REFRESH_AHEAD_TIME = Duration.ofSeconds(30);

	private final JWKSetSource<SecurityContext> source;

	private final Clock clock;

	private RateLimitedJwkSource(JWKSetSource<SecurityContext> source, Clock clock) {
		this.source = source;
		this.clock = clock;
	}

	/**
	 * @param jwkSetUri where the issuer publishes its keys
	 * @param retriever how the set is fetched (the broker's outbound TLS and timeouts)
	 * @param clock the injected clock
	 * @param minRefreshInterval the rate limit's window
	 * @return the source
	 */
	static RateLimitedJwkSource of(URI jwkSetUri, ResourceRetriever retriever, Clock clock,
			Duration minRefreshInterval) {
		JWKSource<SecurityContext> built;
		try {
			built = JWKSourceBuilder.<SecurityContext>create(jwkSetUri.toURL(), retriever)
				.cache(CACHE_TIME_TO_LIVE.toMillis(), CACHE_REFRESH_TIMEOUT.toMillis())
				.refreshAheadCache(REFRESH_AHEAD_TIME.toMillis(), false)
				.rateLimited(minRefreshInterval.toMillis())
				.retrying(false)
				.outageTolerant(OUTAGE_TOLERANCE.toMillis())
				.build();
		}
		catch (MalformedURLException ex) {
			throw new IllegalArgumentException("Not a URL: " + jwkSetUri, ex);
		}
		if (!(built instanceof JWKSetBasedJWKSource<SecurityContext> jwkSetBased)) {
			throw new IllegalStateException("Unexpected JWK source " + built.getClass().getName());
		}
		return new RateLimitedJwkSource(jwkSetBased.getJWKSetSource(), clock);
	}

	/**
	 * Fetch the key set unless one is cached, as the first token to verify would.
	 * @throws KeySourceException when the set cannot be had
	 */
	void load() throws KeySourceException {
		this.source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), this.clock.millis(), null);
	}

	/**
	 * {@link JWKSetBasedJWKSource#get}, with the injected clock and a refused re-fetch as
	 * no key.
	 */
	@Override
	public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
		long now = this.clock.millis();
		try {
			JWKSet cached = this.source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
			List<JWK> keys = selector.select(cached);
			if (!keys.isEmpty()) {
				return keys;
			}
			// An unknown kid: perhaps a key rolled in since the last fetch
			JWKSet refreshed = this.source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(cached), now,
					context);
			return selector.select(refreshed);
		}
		catch (RateLimitReachedException ex) {
			return List.of();
		}
	}

}
