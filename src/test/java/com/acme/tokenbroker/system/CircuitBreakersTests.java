package com.acme.tokenbroker.system;

import java.time.Clock;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13, item 4: fleet mode's Redis breaker cannot be a region's.
 */
class CircuitBreakersTests {

	private final CircuitBreakers breakers = new CircuitBreakers(CircuitBreakerRegistry.ofDefaults(),
			Clock.systemUTC());

	@Test
	void forFleetRedisWhenARegionIsNamedRedisThenEachHasItsOwnBreaker() {
		CircuitBreaker redis = this.breakers.forFleetRedis((failure) -> false);

		CircuitBreaker region = this.breakers.forRegion("redis");
		region.transitionToOpenState();

		assertThat(redis).isNotSameAs(region);
		assertThat(redis.getName()).isEqualTo(CircuitBreakers.FLEET_REDIS);
		assertThat(redis.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(this.breakers.all()).containsOnlyKeys("redis", CircuitBreakers.FLEET_REDIS);
	}

}
