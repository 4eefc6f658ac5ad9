package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceName;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;

/**
 * Per-service freshness gauges: {@code broker.token.expiry.seconds} (seconds until the
 * cached token's hard expiry) and {@code broker.token.refresh.seconds} (seconds until its
 * {@code refreshAfter}, negative once stale). Both read {@code NaN} when nothing usable
 * is cached, so an alert on "below N or absent" covers both.
 * <p>
 * On Prometheus, the broker's only registry, both are one collector that walks the cache
 * at each scrape: two registered gauges per service cost about a kilobyte of heap each
 * service, for values that only exist when scraped. Any other registry gets ordinary
 * gauges.
 */
final class TokenMetrics {

	private static final String EXPIRY = "broker.token.expiry.seconds";

	private static final String EXPIRY_HELP = "Seconds until the cached token stops being served (its expiry minus the safety margin)";

	private static final String REFRESH = "broker.token.refresh.seconds";

	private static final String REFRESH_HELP = "Seconds until the cached token's refreshAfter; negative when stale";

	private TokenMetrics() {
	}

	/**
	 * @param commonTags the tags every meter of the registry carries
	 * ({@code management.metrics.tags}), which the Prometheus collector adds itself
	 */
	static void register(TokenCache cache, MeterRegistry registry, Map<String, String> commonTags, Clock clock) {
		if (registry instanceof PrometheusMeterRegistry prometheus) {
			prometheus.getPrometheusRegistry().register(new FreshnessCollector(cache, commonTags, clock));
			return;
		}
		for (RefreshState state : cache.states()) {
			var name = state.service().name();
			Gauge.builder(EXPIRY, cache, (c) -> expirySeconds(c, name, clock))
				.description(EXPIRY_HELP)
				.tag("service", name.value())
				.baseUnit("seconds")
				.register(registry);
			Gauge.builder(REFRESH, cache, (c) -> refreshSeconds(c, name, clock))
				.description(REFRESH_HELP)
				.tag("service", name.value())
				.baseUnit("seconds")
				.register(registry);
		}
	}

	private static double expirySeconds(TokenCache cache, ServiceName name, Clock clock) {
		BrokeredToken token = cache.current(name);
		return (token != null) ? seconds(Duration.between(clock.instant(), cache.policy().hardExpiry(token)))
				: Double.NaN;
	}

	private static double refreshSeconds(TokenCache cache, ServiceName name, Clock clock) {
		BrokeredToken token = cache.current(name);
		return (token != null) ? seconds(Duration.between(clock.instant(), token.refreshAfter())) : Double.NaN;
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

	/**
	 * The labels Micrometer would write for a meter with these tags: the common tags
	 * (unless a meter's own tag of the same key overrides one) and the meter's own.
	 * @param tags the meter's own tags, as key, value, key, value...
	 */
	static Labels labels(Map<String, String> commonTags, String... tags) {
		Labels.Builder labels = Labels.builder();
		commonTags.forEach((key, value) -> {
			for (int i = 0; i < tags.length; i += 2) {
				if (tags[i].equals(key)) {
					return;
				}
			}
			labels.label(PrometheusNaming.sanitizeLabelName(key), value);
		});
		for (int i = 0; i < tags.length; i += 2) {
			labels.label(tags[i], tags[i + 1]);
		}
		return labels.build();
	}

	static String prometheusName(String name) {
		return name.replace('.', '_');
	}

	private static double seconds(Duration duration) {
		return duration.toMillis() / 1000.0;
	}

	/**
	 * Both gauges of every configured service, read from the cache at each scrape, under
	 * the names, help texts and labels Micrometer's gauges would have in the scrape.
	 */
	private static final class FreshnessCollector implements MultiCollector {

		private final TokenCache cache;

		private final Map<String, String> commonTags;

		private final Clock clock;

		FreshnessCollector(TokenCache cache, Map<String, String> commonTags, Clock clock) {
			this.cache = cache;
			this.commonTags = Map.copyOf(commonTags);
			this.clock = clock;
		}

		@Override
		public MetricSnapshots collect() {
			GaugeSnapshot.Builder expiry = GaugeSnapshot.builder().name(prometheusName(EXPIRY)).help(EXPIRY_HELP);
			GaugeSnapshot.Builder refresh = GaugeSnapshot.builder().name(prometheusName(REFRESH)).help(REFRESH_HELP);
			for (RefreshState state : this.cache.states()) {
				ServiceName name = state.service().name();
				Labels labels = labels(name);
				expiry.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
					.labels(labels)
					.value(expirySeconds(this.cache, name, this.clock))
					.build());
				refresh.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
					.labels(labels)
					.value(refreshSeconds(this.cache, name, this.clock))
					.build());
			}
			return MetricSnapshots.of(expiry.build(), refresh.build());
		}

		private Labels labels(ServiceName name) {
			return TokenMetrics.labels(this.commonTags, "service", name.value());
		}

	}

}
