package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisCommandInterruptedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The broker's Redis operations, each decorated with the Redis circuit breaker. Any Redis
 * failure (refused, timed out, disconnected, an error reply) is recorded by the breaker
 * and surfaces as {@link SharedStoreUnavailableException}; while the breaker is open no
 * command is sent at all. Callers fall back to working alone. The breaker must ignore
 * {@link #isInterruption interruptions}.
 */
class SharedStore {

	private static final Logger logger = LoggerFactory.getLogger(SharedStore.class);

	/**
	 * Delete the lock only if this instance still holds it: a lease that expired may have
	 * passed to a peer.
	 */
	private static final RedisScript<Long> UNLOCK = RedisScript.of("""
			if redis.call('GET', KEYS[1]) == ARGV[1] then
			  return redis.call('DEL', KEYS[1])
			end
			return 0""", Long.class);

	/**
	 * One permit of a fixed-window budget: the first call of a window starts its expiry.
	 * Returns -1 when permitted, else the milliseconds until the window ends.
	 */
	private static final RedisScript<Long> ACQUIRE = RedisScript.of("""
			local used = redis.call('INCR', KEYS[1])
			if used == 1 then
			  redis.call('PEXPIRE', KEYS[1], ARGV[2])
			end
			if used <= tonumber(ARGV[1]) then
			  return -1
			end
			local ttl = redis.call('PTTL', KEYS[1])
			if ttl < 0 then
			  redis.call('PEXPIRE', KEYS[1], ARGV[2])
			  ttl = tonumber(ARGV[2])
			end
			return ttl""", Long.class);

	/**
	 * Store the value only while the writer still holds the lock: a holder whose lease
	 * ran out never overwrites.
	 */
	private static final RedisScript<Long> PUT_IF_OWNER = RedisScript.of("""
			if redis.call('GET', KEYS[2]) == ARGV[3] then
			  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
			  return 1
			end
			return 0""", Long.class);

	private final StringRedisTemplate redis;

	private final CircuitBreaker breaker;

	SharedStore(StringRedisTemplate redis, CircuitBreaker breaker) {
		this.redis = redis;
		this.breaker = breaker;
	}

	String get(String key) {
		return call("GET", () -> this.redis.opsForValue().get(key));
	}

	/**
	 * Store a value without expiry (a record the fleet keeps, such as the served key
	 * slot).
	 */
	void put(String key, String value) {
		call("SET", () -> {
			this.redis.opsForValue().set(key, value);
			return null;
		});
	}

	/**
	 * @param key the value's key
	 * @param value the value
	 * @param ttl its time to live
	 * @param lockKey the lock the writer took
	 * @param owner the writer's owner token
	 * @return whether it was stored (the writer still held the lock)
	 */
	boolean putIfOwner(String key, String value, Duration ttl, String lockKey, String owner) {
		Long stored = call("SET IF OWNER", () -> this.redis.execute(PUT_IF_OWNER, List.of(key, lockKey), value,
				Long.toString(ttl.toMillis()), owner));
		return stored != null && stored == 1;
	}

	/**
	 * @param key the lock's key
	 * @param lease how long the lock holds unless released
	 * @return the owner token to release it with, or {@code null} when a peer holds it
	 */
	String tryLock(String key, Duration lease) {
		String owner = UUID.randomUUID().toString();
		Boolean taken = call("SET NX", () -> this.redis.opsForValue().setIfAbsent(key, owner, lease));
		return Boolean.TRUE.equals(taken) ? owner : null;
	}

	/**
	 * @param key the lock's key
	 * @param lease the lease to give a lock found without one (set by hand, or
	 * persisted): no lock blocks forever
	 * @return how long the current holder's lease still runs, {@link Duration#ZERO} when
	 * nobody holds it
	 */
	Duration leaseRemaining(String key, Duration lease) {
		Long millis = call("PTTL", () -> this.redis.getExpire(key, java.util.concurrent.TimeUnit.MILLISECONDS));
		if (millis != null && millis == -1) {
			call("PEXPIRE", () -> this.redis.expire(key, lease));
			return lease;
		}
		return (millis == null || millis < 0) ? Duration.ZERO : Duration.ofMillis(millis);
	}

	/**
	 * Release the lock if this owner still holds it; a failure only lets the lease run
	 * out. Runs even on an interrupted thread (a shutdown), so a stopping instance does
	 * not leave its lock to the lease.
	 */
	void unlock(String key, String owner) {
		boolean interrupted = Thread.interrupted();
		try {
			call("UNLOCK", () -> this.redis.execute(UNLOCK, List.of(key), owner));
		}
		catch (SharedStoreUnavailableException ex) {
			logger.debug("Could not release {} ({}); its lease will expire", key, ex.getMessage());
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * @param key the budget's key
	 * @param limit permits per period
	 * @param period the window
	 * @return {@code null} when a permit was taken, else how long until the window ends
	 */
	Duration acquire(String key, int limit, Duration period) {
		Long result = call("ACQUIRE", () -> this.redis.execute(ACQUIRE, List.of(key), Integer.toString(limit),
				Long.toString(period.toMillis())));
		if (result == null || result < 0) {
			return null;
		}
		return Duration.ofMillis(Math.max(1, result));
	}

	private <T> T call(String command, Supplier<T> call) {
		try {
			return CircuitBreaker.decorateSupplier(this.breaker, call).get();
		}
		catch (CallNotPermittedException ex) {
			throw new SharedStoreUnavailableException(
					"circuit breaker '" + this.breaker.getName() + "' is " + this.breaker.getState(), null);
		}
		catch (RuntimeException ex) {
			if (isInterruption(ex)) {
				throw new SharedStoreUnavailableException("Redis " + command + " interrupted", ex);
			}
			logger.debug("Redis {} failed: {}", command, ex.getClass().getSimpleName());
			throw new SharedStoreUnavailableException(
					"Redis " + command + " failed (" + ex.getClass().getSimpleName() + ")", ex);
		}
	}

	/**
	 * This thread was stopped (a shutdown): Redis did nothing wrong, so the Redis breaker
	 * ignores it ({@code CircuitBreakers.forFleetRedis(SharedStore::isInterruption)}).
	 * @param failure a failed Redis command
	 * @return whether it failed because its thread was interrupted
	 */
	static boolean isInterruption(Throwable failure) {
		return Thread.currentThread().isInterrupted() || failure instanceof RedisCommandInterruptedException
				|| failure.getCause() instanceof RedisCommandInterruptedException;
	}

}
