package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.upstream.CallerWaiting;
import com.acme.tokenbroker.upstream.UpstreamException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's first-level token cache: a Caffeine cache whose entries expire at their
 * hard expiry, plus single-flight loading and a refresh schedule per service.
 * <ul>
 * <li>{@link #current} is the hot path: a map read and a time comparison, no lock, no
 * I/O;</li>
 * <li>{@link #load} starts at most one fetch per service however many threads ask, on its
 * region's fetch executor ({@link FetchSlots}), and hands every asker the same
 * future;</li>
 * <li>{@link #runDueRefreshes} starts the fetches whose time has come (refresh-ahead or
 * retry after a failure); a failed refresh leaves the cached token in place, served as
 * stale until its hard expiry.</li>
 * </ul>
 * Time comes from the injected {@link Clock}, which also drives Caffeine's
 * {@link Ticker}.
 */
public class TokenCache {

	/**
	 * The name under which the cache is registered with Spring's cache manager (and in
	 * cache metrics).
	 */
	public static final String CACHE_NAME = "tokens";

	private static final Logger logger = LoggerFactory.getLogger(TokenCache.class);

	private final Cache<ServiceName, BrokeredToken> tokens;

	private final Map<ServiceName, CompletableFuture<BrokeredToken>> inFlight = new ConcurrentHashMap<>();

	private final Map<ServiceName, RefreshState> states;

	private final TokenSource source;

	private final RefreshPolicy policy;

	private final Function<String, Executor> executors;

	private final Clock clock;

	private final MeterRegistry meterRegistry;

	private final Map<String, Counter> retries = new ConcurrentHashMap<>();

	/** Fetches handed to their executor and not started yet, by service. */
	private final Map<ServiceName, Queued> queued = new ConcurrentHashMap<>();

	public TokenCache(ServiceCatalog catalog, TokenSource source, RefreshPolicy policy, TokenProperties properties,
			Executor executor, MeterRegistry meterRegistry, Clock clock) {
		this(catalog, source, policy, properties, (region) -> executor, meterRegistry, clock);
	}

	/**
	 * @param executors the executor of each region's fetches ({@link FetchSlots})
	 */
	TokenCache(ServiceCatalog catalog, TokenSource source, RefreshPolicy policy, TokenProperties properties,
			Function<String, Executor> executors, MeterRegistry meterRegistry, Clock clock) {
		if (catalog.services().size() > properties.maxSize()) {
			throw new InvalidConfigurationException("broker.tokens.max-size", "is smaller than the "
					+ catalog.services().size() + " configured services: their tokens would evict each other");
		}
		this.source = source;
		this.meterRegistry = meterRegistry;
		this.policy = policy;
		this.executors = executors;
		this.clock = clock;
		Map<ServiceName, RefreshState> initial = new LinkedHashMap<>();
		catalog.services().forEach((service) -> initial.put(service.name(), new RefreshState(service)));
		this.states = Collections.unmodifiableMap(initial);
		this.tokens = Caffeine.newBuilder()
			.maximumSize(properties.maxSize())
			.ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
			.expireAfter(new HardExpiry())
			.recordStats()
			.build();
	}

	/**
	 * The cached token if it is still usable. No I/O, no lock, never waits.
	 * @param name the service
	 * @return the token, or {@code null} when none is cached or the cached one is past
	 * its hard expiry
	 */
	public BrokeredToken current(ServiceName name) {
		BrokeredToken token = this.tokens.getIfPresent(name);
		return (token != null && this.policy.isUsable(token, this.clock.instant())) ? token : null;
	}

	/**
	 * Start a fetch for the service unless one is already running, and return the running
	 * one.
	 * @param service the configured service
	 * @return the future of the fetch, completed with the new token or the failure
	 */
	public CompletableFuture<BrokeredToken> load(ServiceDescriptor service) {
		return load(service, false);
	}

	/**
	 * Like {@link #load(ServiceDescriptor)}, for a caller waiting on the request path: a
	 * fetch this starts never takes a circuit breaker's probe ({@link CallerWaiting});
	 * one already running is joined as it is.
	 * @param service the configured service
	 * @return the future of the fetch
	 */
	public CompletableFuture<BrokeredToken> loadForCaller(ServiceDescriptor service) {
		return load(service, true);
	}

	/**
	 * Fetch a replacement for a token a caller reported refused by the service
	 * ({@code POST /tokens/{service}/rejections}), on the request path like
	 * {@link #loadForCaller}: single flight, a fetch already running is joined as it is.
	 * The source is asked with {@link TokenSource#loadReplacing}, so no cache hands the
	 * rejected value back, and the fetched token replaces the rejected one whatever its
	 * expiry. A failed fetch leaves the cached token in place.
	 * @param service the configured service
	 * @param rejected the token a caller reported refused
	 * @return the future of the fetch
	 */
	public CompletableFuture<BrokeredToken> loadReplacing(ServiceDescriptor service, BrokeredToken rejected) {
		return load(service, true, rejected);
	}

	private CompletableFuture<BrokeredToken> load(ServiceDescriptor service, boolean callerWaiting) {
		return load(service, callerWaiting, null);
	}

	private CompletableFuture<BrokeredToken> load(ServiceDescriptor service, boolean callerWaiting,
			BrokeredToken rejected) {
		ServiceName name = service.name();
		CompletableFuture<BrokeredToken> created = new CompletableFuture<>();
		CompletableFuture<BrokeredToken> running = this.inFlight.putIfAbsent(name, created);
		if (running != null) {
			Queued queued = this.queued.get(name);
			if (callerWaiting && queued != null) {
				// a caller now waits on a fetch still in line (the warm-up's): it goes
				// ahead
				queued.expedite(this.executors.apply(service.region()));
			}
			return running;
		}
		BrokeredToken replaced = (rejected != null) ? current(name) : null;
		if (replaced != null && !CredentialValues.equal(replaced.value(), rejected.value())) {
			// a fetch that ended between the caller's look and this one replaced it
			complete(name, created, replaced, null);
			return created;
		}
		Runnable fetch = () -> fetch(service, created, rejected);
		Queued queued = new Queued(name, callerWaiting ? () -> CallerWaiting.run(fetch) : fetch, callerWaiting);
		this.queued.put(name, queued);
		try {
			Executor executor = this.executors.apply(service.region());
			executor.execute(callerWaiting ? FetchSlots.urgent(queued) : queued);
		}
		catch (RuntimeException ex) {
			this.queued.remove(name, queued);
			this.inFlight.remove(name, created);
			created.completeExceptionally(ex);
		}
		return created;
	}

	/**
	 * A fetch handed to its region's executor and not started yet: run once, by whichever
	 * of its entries in the queue a fetch thread takes first, so that a caller who joins
	 * it can add an urgent entry ({@link FetchSlots#urgent}).
	 */
	private final class Queued implements Runnable {

		private final ServiceName name;

		private final Runnable fetch;

		private final AtomicBoolean started = new AtomicBoolean();

		/** Whether it has an urgent entry: one is enough, however many callers join. */
		private final AtomicBoolean urgent;

		Queued(ServiceName name, Runnable fetch, boolean urgent) {
			this.name = name;
			this.fetch = fetch;
			this.urgent = new AtomicBoolean(urgent);
		}

		@Override
		public void run() {
			if (this.started.compareAndSet(false, true)) {
				TokenCache.this.queued.remove(this.name, this);
				this.fetch.run();
			}
		}

		void expedite(Executor executor) {
			if (!this.started.get() && this.urgent.compareAndSet(false, true)) {
				try {
					executor.execute(FetchSlots.urgent(this));
				}
				catch (RuntimeException ex) {
					// the entry already queued still runs it
				}
			}
		}

	}

	/**
	 * Fetch anew even if a fetch is running: wait for the running one, then start
	 * another. For changes the running fetch cannot have seen, such as a key rotation
	 * switching the served key.
	 * @param service the configured service
	 * @return the future of a fetch started after this call
	 */
	public CompletableFuture<BrokeredToken> reload(ServiceDescriptor service) {
		CompletableFuture<BrokeredToken> running = this.inFlight.get(service.name());
		if (running == null) {
			return load(service);
		}
		return running.handle((token, failure) -> null).thenCompose((ignored) -> load(service));
	}

	private void fetch(ServiceDescriptor service, CompletableFuture<BrokeredToken> future, BrokeredToken rejected) {
		ServiceName name = service.name();
		RefreshState state = this.states.get(name);
		if (state.consecutiveFailures() > 0) {
			this.retries
				.computeIfAbsent(service.region(),
						(region) -> Counter.builder("broker.upstream.retries")
							.description("Token fetches that retry a failed one, by region")
							.tag("region", region)
							.register(this.meterRegistry))
				.increment();
		}
		try {
			Instant lastAttempt = state.lastAttemptAt();
			BrokeredToken cached = this.tokens.getIfPresent(name);
			Instant started = this.clock.instant();
			BrokeredToken token = (rejected != null) ? this.source.loadReplacing(service, rejected)
					: this.source.load(service, cached);
			Instant now = this.clock.instant();
			if (!this.policy.isUsable(token, now)) {
				throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
						"Token for service '" + name + "' expires within the safety margin");
			}
			this.tokens.asMap()
				.merge(name, token,
						(rejected != null) ? (held, fetched) -> replacing(held, fetched, rejected) : TokenCache::newer);
			Instant next = this.policy.nextRefreshAfterFetch(token, now);
			state.succeeded(this.policy.upstreamAttemptAt(token, cached, lastAttempt, started, now), now, next,
					this.policy.hardExpiry(token));
			logger.debug("Fetched token for service '{}': refresh after {}, expires at {}, next refresh at {}", name,
					token.refreshAfter(), token.expiresAt(), next);
			complete(name, future, token, null);
		}
		catch (RuntimeException ex) {
			Instant now = this.clock.instant();
			UpstreamException upstream = (ex instanceof UpstreamException u) ? u : new UpstreamException(
					UpstreamException.Kind.UNAVAILABLE, 0, null,
					"Fetching the token for service '" + name + "' failed (" + ex.getClass().getSimpleName() + ")", ex);
			int failures = state.failed(new RefreshState.FetchError(upstream.getKind().tag(), upstream.getMessage(),
					upstream.getStatus(), now, upstream.getKind().isRetryable()));
			Duration delay = this.policy.retryDelay(upstream.getKind(), upstream.getRetryAfter(), failures);
			state.scheduleAt(now.plus(delay));
			BrokeredToken kept = this.tokens.getIfPresent(name);
			if (upstream.getKind() == UpstreamException.Kind.PEER_FETCHING) {
				logger.debug("Refresh for service '{}' deferred: {}", name, upstream.getMessage());
			}
			else if (kept != null && this.policy.isUsable(kept, now)) {
				logger.warn(
						"Refresh for service '{}' failed ({}); serving the cached token, usable until {}, retry at {}",
						name, upstream.getKind().tag(), this.policy.hardExpiry(kept), now.plus(delay));
			}
			complete(name, future, null, upstream);
		}
		catch (Error ex) {
			complete(name, future, null, ex);
			throw ex;
		}
	}

	/**
	 * Which of two tokens of a service to keep: the fetched one, unless it is of the same
	 * credential type and expires sooner than the one held (a fleet peer's older token).
	 * A different type means the service switched mode, and the held credential is
	 * refused by now however long it would have lasted.
	 */
	static BrokeredToken newer(BrokeredToken held, BrokeredToken fetched) {
		boolean sameType = java.util.Objects.equals(held.credentialType(), fetched.credentialType());
		return (sameType && fetched.expiresAt().isBefore(held.expiresAt())) ? held : fetched;
	}

	/**
	 * Which token to keep after fetching a replacement for a rejected one: the fetched
	 * one while the rejected one is held, whatever their expiries (an upstream token may
	 * expire sooner than the one it replaces); otherwise as {@link #newer}.
	 */
	private static BrokeredToken replacing(BrokeredToken held, BrokeredToken fetched, BrokeredToken rejected) {
		return CredentialValues.equal(held.value(), rejected.value()) ? fetched : newer(held, fetched);
	}

	private void complete(ServiceName name, CompletableFuture<BrokeredToken> future, BrokeredToken token,
			Throwable failure) {
		this.inFlight.remove(name, future);
		if (failure != null) {
			future.completeExceptionally(failure);
		}
		else {
			future.complete(token);
		}
	}

	/**
	 * Start a fetch for every service whose scheduled time has passed. Called by the
	 * background scheduler, and by tests after moving the clock.
	 * @return the fetches started or already running, by service
	 */
	public Map<ServiceName, CompletableFuture<BrokeredToken>> runDueRefreshes() {
		Instant now = this.clock.instant();
		Map<ServiceName, CompletableFuture<BrokeredToken>> started = new LinkedHashMap<>();
		for (RefreshState state : this.states.values()) {
			Instant next = state.nextAttemptAt();
			if (next != null && !now.isBefore(next)) {
				started.put(state.service().name(), load(state.service()));
			}
		}
		return started;
	}

	/**
	 * @param name the service
	 * @return its fetch state, or {@code null} for an unconfigured service
	 */
	public RefreshState state(ServiceName name) {
		return this.states.get(name);
	}

	public Iterable<RefreshState> states() {
		return this.states.values();
	}

	/**
	 * @param name the service
	 * @return whether a fetch for it is running now
	 */
	public boolean isLoading(ServiceName name) {
		return this.inFlight.containsKey(name);
	}

	/**
	 * @return the native cache, for registration with Spring's cache manager and metrics
	 */
	public Cache<ServiceName, BrokeredToken> nativeCache() {
		return this.tokens;
	}

	RefreshPolicy policy() {
		return this.policy;
	}

	/**
	 * Entries live until their token's hard expiry, measured by the clock-driven ticker.
	 */
	private final class HardExpiry implements Expiry<ServiceName, BrokeredToken> {

		@Override
		public long expireAfterCreate(ServiceName key, BrokeredToken value, long currentTime) {
			long remaining = policy.hardExpiry(value).toEpochMilli() - TimeUnit.NANOSECONDS.toMillis(currentTime);
			return TimeUnit.MILLISECONDS.toNanos(Math.max(0, remaining));
		}

		@Override
		public long expireAfterUpdate(ServiceName key, BrokeredToken value, long currentTime, long currentDuration) {
			return expireAfterCreate(key, value, currentTime);
		}

		@Override
		public long expireAfterRead(ServiceName key, BrokeredToken value, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

}
