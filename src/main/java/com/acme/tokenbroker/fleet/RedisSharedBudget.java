package com.acme.tokenbroker.fleet;

import java.time.Duration;

import com.acme.tokenbroker.upstream.SharedBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's request budget per region, counted in Redis: a fixed window of the rate
 * limiter's period holding its limit for all instances together. With Redis unavailable
 * each instance is bounded by its own limiter only.
 */
class RedisSharedBudget implements SharedBudget {

	private static final Logger logger = LoggerFactory.getLogger(RedisSharedBudget.class);

	private final SharedStore store;

	private final SharedKeys keys;

	RedisSharedBudget(SharedStore store, SharedKeys keys) {
		this.store = store;
		this.keys = keys;
	}

	@Override
	public Duration tryAcquire(String region, int limitForPeriod, Duration period) {
		try {
			return this.store.acquire(this.keys.budget(region), limitForPeriod, period);
		}
		catch (SharedStoreUnavailableException ex) {
			logger.debug("The fleet's budget of region {} is not available ({}); the local limiter applies", region,
					ex.getMessage());
			return null;
		}
	}

}
