package com.acme.tokenbroker.fleet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.CredentialValues;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenSource;
import com.acme.tokenbroker.upstream.UpstreamException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared second level: a {@link TokenSource} that looks in Redis before it lets the
 * upstream be called, and lets only one instance of the fleet call it per service and
 * refresh.
 * <ol>
 * <li>A token in Redis that is newer than the one this instance holds and not yet due
 * ({@code refreshAfter} ahead) is taken as is.</li>
 * <li>Otherwise the instance tries to take the service's lock ({@code SET NX} with a
 * lease). The holder looks in Redis once more, fetches from the upstream, stores the
 * sealed result with a time to live of its hard expiry and releases the lock.</li>
 * <li>An instance that finds the lock held polls Redis for up to {@code peer-wait};
 * without a result it reports the peer's fetch
 * ({@link UpstreamException.Kind#PEER_FETCHING}, retry when the lease ends), and the
 * cache keeps serving the token it holds. A crashed holder is replaced once its lease
 * expires.</li>
 * <li>A holder whose fetch fails leaves a short sealed "failed until" record (the
 * failure's kind and status, until its {@code Retry-After}, {@code min-refresh-interval}
 * for a refusal, the first backoff otherwise); until then every instance, waiting or
 * newly asking, reports that failure (or serves the fleet's stale token) without calling
 * the upstream: N instances make one call, not N (issue 12, item 10).</li>
 * <li>A report that the service refused the served credential ({@link #loadReplacing})
 * fetches a replacement through the same lock; when the shared token is that credential
 * and was fetched within {@code min-refresh-interval}, the upstream issued it again a
 * moment ago and it is the answer, without a fetch: one upstream call per fleet and
 * interval, not one per instance that gets a report.</li>
 * <li>With Redis unreachable or its breaker open, the instance fetches alone, as without
 * a fleet.</li>
 * </ol>
 * Each sealed value carries a sequence number that only moves forward per Redis key (the
 * writer, holding the lock, gives its value one above the highest it has seen, and at
 * least its clock's epoch milliseconds, so a key whose value expired from Redis still
 * moves forward). The instance remembers the highest sequence number it has opened or
 * written per key, and refuses a value below it: someone with write access to Redis who
 * puts back an older sealed value (a retired key, a token of a revoked grant) gets it
 * taken by no instance that saw a newer one. The number is inside the sealed plaintext
 * and the Redis key is the seal's additional data, so it can be neither altered nor moved
 * to another service.
 */
class SharedTokenSource implements TokenSource {

	private static final Logger logger = LoggerFactory.getLogger(SharedTokenSource.class);

	private final TokenSource upstream;

	private final SharedStore store;

	private final TokenSealer sealer;

	private final SharedKeys keys;

	private final RefreshPolicy policy;

	private final FleetProperties properties;

	private final Sleeper sleeper;

	private final Clock clock;

	private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

	/**
	 * The highest sequence number opened or written, per Redis key (bounded by the
	 * catalog and its key slots).
	 */
	private final Map<String, Long> highestSeen = new ConcurrentHashMap<>();

	private final MeterRegistry meterRegistry;

	SharedTokenSource(TokenSource upstream, SharedStore store, TokenSealer sealer, SharedKeys keys,
			RefreshPolicy policy, FleetProperties properties, Sleeper sleeper, MeterRegistry meterRegistry,
			Clock clock) {
		this.upstream = upstream;
		this.store = store;
		this.sealer = sealer;
		this.keys = keys;
		this.policy = policy;
		this.properties = properties;
		this.sleeper = sleeper;
		this.meterRegistry = meterRegistry;
		this.clock = clock;
	}

	@Override
	public BrokeredToken load(ServiceDescriptor service, BrokeredToken held) {
		return load(service, held, null);
	}

	/**
	 * As {@link #load}, but a shared token of the rejected value counts as none: the
	 * holder of the lock fetches from the upstream and shares the replacement (with a
	 * higher sequence number), so no instance takes the rejected credential back from
	 * Redis as newer than what it holds. Any other usable shared token is a replacement a
	 * peer shared meanwhile, whatever its expiry: it is taken without an upstream call
	 * (once due, as in {@link #load}, only when the upstream fails). A shared token of
	 * the rejected value fetched within {@code min-refresh-interval} is taken too: the
	 * upstream issued it again a moment ago, and the caller answers the report as
	 * re-issued.
	 */
	@Override
	public BrokeredToken loadReplacing(ServiceDescriptor service, BrokeredToken rejected) {
		return load(service, null, rejected);
	}

	private BrokeredToken load(ServiceDescriptor service, BrokeredToken held, BrokeredToken rejected) {
		String tokenKey = this.keys.token(service);
		String lockKey = this.keys.lock(service);
		String owner;
		BrokeredToken shared;
		try {
			shared = read(service, tokenKey);
			if (isRejectedRecently(shared, rejected)) {
				count("rejected_recently");
				return shared;
			}
			shared = unlessRejected(shared, rejected);
			if (isNewerAndNotDue(shared, held)) {
				count("shared");
				return shared;
			}
			BrokeredToken stale = unlessFailed(service, shared, held);
			if (stale != null) {
				return stale;
			}
			owner = this.store.tryLock(lockKey, this.properties.lockLease());
		}
		catch (SharedStoreUnavailableException ex) {
			return alone(service, held, rejected);
		}
		if (owner != null) {
			return fetchHoldingLock(service, held, rejected, tokenKey, lockKey, owner);
		}
		return awaitPeer(service, held, rejected, tokenKey, lockKey);
	}

	private BrokeredToken fetchHoldingLock(ServiceDescriptor service, BrokeredToken held, BrokeredToken rejected,
			String tokenKey, String lockKey, String owner) {
		try {
			BrokeredToken shared = readQuietly(service, tokenKey);
			// a peer's fetch for the same report may have ended since the first look
			if (isRejectedRecently(shared, rejected)) {
				count("rejected_recently");
				return shared;
			}
			shared = unlessRejected(shared, rejected);
			if (isNewerAndNotDue(shared, held)) {
				count("shared");
				return shared;
			}
			// the previous holder may have failed between this instance's first look and
			// its taking the lock
			BrokeredToken stale = unlessFailedQuietly(service, shared, held);
			if (stale != null) {
				return stale;
			}
			BrokeredToken fresh;
			try {
				fresh = (rejected != null) ? this.upstream.loadReplacing(service, rejected)
						: this.upstream.load(service, held);
			}
			catch (UpstreamException ex) {
				shareFailure(service, ex, lockKey, owner);
				if (isNewer(shared, held)) {
					logger.info("Fetching the token of service '{}' failed ({}); taking the fleet's stale one",
							service.name(), ex.getKind().tag());
					count("shared_stale");
					return shared;
				}
				throw ex;
			}
			write(service, tokenKey, fresh, lockKey, owner);
			count("fetched");
			return fresh;
		}
		finally {
			this.store.unlock(lockKey, owner);
		}
	}

	private BrokeredToken awaitPeer(ServiceDescriptor service, BrokeredToken held, BrokeredToken rejected,
			String tokenKey, String lockKey) {
		// The wait is bounded on the clock and in polls: the sleeps are what takes the
		// time, so a clock that only moves when a test moves it still ends the wait
		Instant deadline = this.clock.instant().plus(this.properties.peerWait());
		long polls = Math.max(1, ceilDiv(this.properties.peerWait(), this.properties.pollInterval()));
		BrokeredToken shared = null;
		try {
			boolean retriedLock = false;
			for (long poll = 0; poll < polls && this.clock.instant().isBefore(deadline); poll++) {
				this.sleeper.sleep(this.properties.pollInterval());
				shared = unlessRejected(read(service, tokenKey), rejected);
				if (isNewerAndNotDue(shared, held)) {
					count("waited");
					return shared;
				}
				BrokeredToken stale = unlessFailed(service, shared, held);
				if (stale != null) {
					return stale;
				}
				if (!retriedLock && this.store.leaseRemaining(lockKey, this.properties.lockLease()).isZero()) {
					// the holder is done without a result for us (its fetch failed, or
					// its lease ran out): try once more
					retriedLock = true;
					String owner = this.store.tryLock(lockKey, this.properties.lockLease());
					if (owner != null) {
						return fetchHoldingLock(service, held, rejected, tokenKey, lockKey, owner);
					}
				}
			}
			if (isNewer(shared, held)) {
				// due or stale, but better than nothing: the peer's fetch is late, the
				// upstream may be failing
				count("shared_stale");
				return shared;
			}
			Duration lease = this.store.leaseRemaining(lockKey, this.properties.lockLease());
			Duration retryAfter = (lease.compareTo(this.properties.peerWait()) < 0) ? lease
					: this.properties.peerWait();
			if (retryAfter.compareTo(this.properties.pollInterval()) < 0) {
				retryAfter = this.properties.pollInterval();
			}
			count("peer_busy");
			throw new UpstreamException(UpstreamException.Kind.PEER_FETCHING, 0, retryAfter,
					"Another broker instance is " + "fetching the token of service '" + service.name() + "'; retry in "
							+ retryAfter);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new UpstreamException(UpstreamException.Kind.PEER_FETCHING, 0, this.properties.pollInterval(),
					"Interrupted while waiting for a peer's token of service '" + service.name() + "'");
		}
		catch (SharedStoreUnavailableException ex) {
			return alone(service, held, rejected);
		}
	}

	/**
	 * When a peer's fetch failed a moment ago, report its failure (or take the fleet's
	 * stale token, which is better) instead of calling the upstream again.
	 * @return the stale shared token to serve, or {@code null} when no failure holds
	 * @throws UpstreamException the peer's failure
	 */
	private BrokeredToken unlessFailed(ServiceDescriptor service, BrokeredToken shared, BrokeredToken held) {
		SharedFailure failure = readFailure(service);
		if (failure == null) {
			return null;
		}
		if (isNewer(shared, held)) {
			count("shared_stale");
			return shared;
		}
		count("peer_failed");
		throw failure.toException(service.name(), this.clock.instant(), this.properties.pollInterval());
	}

	private BrokeredToken unlessFailedQuietly(ServiceDescriptor service, BrokeredToken shared, BrokeredToken held) {
		try {
			return unlessFailed(service, shared, held);
		}
		catch (SharedStoreUnavailableException ex) {
			return null;
		}
	}

	private SharedFailure readFailure(ServiceDescriptor service) {
		String failedKey = this.keys.failed(service);
		String value = this.store.get(failedKey);
		if (value == null) {
			return null;
		}
		SharedFailure failure = this.sealer.open(failedKey, value).flatMap(SharedFailure::decode).orElse(null);
		if (failure == null) {
			count("undecryptable");
			return null;
		}
		return this.clock.instant().isBefore(failure.until()) ? failure : null;
	}

	/**
	 * Tell the fleet that the upstream failed, for as long as this instance itself would
	 * wait: the upstream's {@code Retry-After} when it gave one,
	 * {@code min-refresh-interval} for a refusal an operator must fix, the first backoff
	 * otherwise. Redis keeps the record a lease longer, so that instances whose clocks
	 * are a little behind still see it; its {@code until} decides.
	 */
	private void shareFailure(ServiceDescriptor service, UpstreamException failure, String lockKey, String owner) {
		if (!SharedFailure.isShared(failure)) {
			return;
		}
		Duration delay;
		if (failure.getRetryAfter() != null && !failure.getRetryAfter().isNegative()
				&& !failure.getRetryAfter().isZero()) {
			delay = (failure.getRetryAfter().compareTo(this.policy.maxBackoff()) > 0) ? this.policy.maxBackoff()
					: failure.getRetryAfter();
		}
		else {
			delay = failure.getKind().isRetryable() ? this.policy.backoff(1) : this.policy.minRefreshInterval();
		}
		String failedKey = this.keys.failed(service);
		SharedFailure shared = new SharedFailure(failure.getKind(), failure.getStatus(),
				this.clock.instant().plus(delay));
		try {
			this.store.putIfOwner(failedKey, this.sealer.seal(failedKey, shared.encode()),
					delay.plus(this.properties.lockLease()), lockKey, owner);
		}
		catch (SharedStoreUnavailableException ex) {
			logger.debug("Could not share the failed fetch of service '{}': {}", service.name(), ex.getMessage());
		}
	}

	private BrokeredToken alone(ServiceDescriptor service, BrokeredToken held, BrokeredToken rejected) {
		count("alone");
		return (rejected != null) ? this.upstream.loadReplacing(service, rejected) : this.upstream.load(service, held);
	}

	/**
	 * A shared token of the rejected credential's value is no answer to its rejection
	 * (unless {@link #isRejectedRecently}, checked before).
	 */
	private static BrokeredToken unlessRejected(BrokeredToken shared, BrokeredToken rejected) {
		return (shared != null && rejected != null && sameValue(shared, rejected)) ? null : shared;
	}

	/**
	 * A shared token of the rejected credential's value that was fetched within
	 * {@code min-refresh-interval} ({@link RefreshPolicy#fleetRejectionHeld}): the
	 * upstream issued the rejected credential again a moment ago, for a peer's report or
	 * refresh. It is answered as the upstream's latest answer (the broker then refuses
	 * the report as re-issued) instead of asking the upstream once per instance.
	 */
	private boolean isRejectedRecently(BrokeredToken shared, BrokeredToken rejected) {
		return shared != null && rejected != null && sameValue(shared, rejected)
				&& this.policy.fleetRejectionHeld(shared, this.clock.instant());
	}

	private static boolean sameValue(BrokeredToken a, BrokeredToken b) {
		return CredentialValues.equal(a.value(), b.value());
	}

	private BrokeredToken read(ServiceDescriptor service, String tokenKey) {
		String value = this.store.get(tokenKey);
		if (value == null) {
			return null;
		}
		Optional<SharedTokenCodec.Shared> opened = this.sealer.open(tokenKey, value)
			.flatMap((plaintext) -> SharedTokenCodec.decode(service.name(), plaintext));
		if (opened.isEmpty()) {
			logger.warn("The shared value of service '{}' does not open with any configured key (key id '{}'); "
					+ "treating it as a miss", service.name(), TokenSealer.keyIdOf(value));
			count("undecryptable");
			return null;
		}
		long sequence = opened.get().sequence();
		long highest = this.highestSeen.merge(tokenKey, sequence, Math::max);
		if (sequence < highest) {
			logger.warn(
					"The shared value of service '{}' is older than one this instance has seen (sequence {} < {}): "
							+ "put back in Redis by someone with write access to it? Treating it as a miss",
					service.name(), sequence, highest);
			count("replayed");
			return null;
		}
		return opened.get().token();
	}

	private BrokeredToken readQuietly(ServiceDescriptor service, String tokenKey) {
		try {
			return read(service, tokenKey);
		}
		catch (SharedStoreUnavailableException ex) {
			return null;
		}
	}

	private void write(ServiceDescriptor service, String tokenKey, BrokeredToken token, String lockKey, String owner) {
		Duration ttl = Duration.between(this.clock.instant(), this.policy.hardExpiry(token));
		if (ttl.toMillis() <= 0) {
			return;
		}
		try {
			long sequence = Math.max(this.clock.millis(), this.highestSeen.getOrDefault(tokenKey, 0L) + 1);
			String sealed = this.sealer.seal(tokenKey, SharedTokenCodec.encode(token, sequence));
			if (this.store.putIfOwner(tokenKey, sealed, ttl, lockKey, owner)) {
				this.highestSeen.merge(tokenKey, sequence, Math::max);
			}
			else {
				logger.info(
						"The fetch of service '{}' outlasted its lock's lease ({}); not sharing its token, a peer may "
								+ "have shared a newer one",
						service.name(), this.properties.lockLease());
			}
		}
		catch (SharedStoreUnavailableException ex) {
			logger.debug("Could not share the token of service '{}': {}", service.name(), ex.getMessage());
		}
	}

	/** Newer than what the instance holds, and usable. */
	private boolean isNewer(BrokeredToken shared, BrokeredToken held) {
		return shared != null && this.policy.isUsable(shared, this.clock.instant())
				&& (held == null || shared.expiresAt().isAfter(held.expiresAt()));
	}

	private boolean isNewerAndNotDue(BrokeredToken shared, BrokeredToken held) {
		return isNewer(shared, held) && !this.policy.isStale(shared, this.clock.instant());
	}

	private void count(String outcome) {
		this.outcomes.computeIfAbsent(outcome, (name) -> Counter.builder("broker.fleet.lookups")
			.description(
					"Second-level lookups: shared (taken from Redis), fetched (this instance fetched for the fleet), "
							+ "waited (a peer's result), peer_busy, peer_failed (a peer's failure, shared), alone (Redis unavailable), undecryptable, replayed (older than one "
							+ "seen), shared_stale, rejected_recently (a reported credential the upstream issued again "
							+ "within min-refresh-interval, answered without a fetch)")
			.tag("outcome", name)
			.register(this.meterRegistry)).increment();
	}

	@Override
	public String toString() {
		return "SharedTokenSource[" + this.upstream + "]";
	}

	private static long ceilDiv(Duration total, Duration step) {
		long stepNanos = Math.max(1, step.toNanos());
		return (total.toNanos() + stepNanos - 1) / stepNanos;
	}

}
