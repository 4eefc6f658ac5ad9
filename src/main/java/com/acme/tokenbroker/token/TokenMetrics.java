package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Per-service freshness gauges: {@code broker.token.expiry.seconds} (seconds until the cached token's hard expiry)
 * and {@code broker.token.refresh.seconds} (seconds until its {@code refreshAfter}, negative once stale). Both read
 * {@code NaN} when nothing usable is cached, so an alert on "below N or absent" covers both.
 */
final class TokenMetrics {

	private TokenMetrics() {
	}

	static void register(TokenCache cache, MeterRegistry registry, Clock clock) {
		for (RefreshState state : cache.states()) {
			var name = state.service().name();
			Gauge.builder("broker.token.expiry.seconds", cache, (c) -> {
				BrokeredToken token = c.current(name);
				return (token != null) ? seconds(Duration.between(clock.instant(), c.policy().hardExpiry(token)))
						: Double.NaN;
			})
				.description("Seconds until the cached token stops being served (its expiry minus the safety margin)")
				.tag("service", name.value())
				.baseUnit("seconds")
				.register(registry);
			Gauge.builder("broker.token.refresh.seconds", cache, (c) -> {
				BrokeredToken token = c.current(name);
				return (token != null) ? seconds(Duration.between(clock.instant(), token.refreshAfter())) : Double.NaN;
			})
				.description("Seconds until the cached token's refreshAfter; negative when stale")
				.tag("service", name.value())
				.baseUnit("seconds")
				.register(registry);
		}
	}

	private static double seconds(Duration duration) {
		return duration.toMillis() / 1000.0;
	}

}
