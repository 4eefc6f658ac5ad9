package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Per-service freshness gauges: {@code broker.token.expiry.seconds} (seconds until the
 * cached token's hard expiry) and {@code broker.token.refresh.seconds} (seconds until its
 * {@code refreshAfter}, negative once stale). Both read {@code NaN} when nothing usable
 * is cached, so an alert on "below N or absent" covers both.
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

	/**
	 * {@code broker.token.runway.min.seconds}: the smallest runway across required
	 * services, 0 when one has no usable token. Alert on it falling below an hour and
	 * there is time to act before callers see errors.
	 */
	static void registerMinimumRunway(TokenCache cache, com.acme.tokenbroker.catalog.ServiceCatalog catalog,
			MeterRegistry registry, Clock clock) {
		var required = catalog.services().stream().filter((s) -> s.required()).map((s) -> s.name()).toList();
		Gauge.builder("broker.token.runway.min.seconds", cache, (c) -> {
			double min = Double.NaN;
			for (var name : required) {
				BrokeredToken token = c.current(name);
				double runway = (token != null)
						? Math.max(0, seconds(Duration.between(clock.instant(), c.policy().hardExpiry(token)))) : 0;
				min = Double.isNaN(min) ? runway : Math.min(min, runway);
			}
			return min;
		})
			.description("Smallest time any required service's token may still be served; 0 when one has none")
			.baseUnit("seconds")
			.register(registry);
	}

	private static double seconds(Duration duration) {
		return duration.toMillis() / 1000.0;
	}

}
