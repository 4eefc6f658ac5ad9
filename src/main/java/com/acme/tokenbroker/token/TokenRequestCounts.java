package com.acme.tokenbroker.token;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.TokenBroker.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The {@code broker.token.requests} counter of every configured service and outcome, zero
 * from the start.
 * <p>
 * On Prometheus, the broker's only registry, the counts are one array per service and one
 * collector writes them at each scrape: four registered counters per service cost about
 * two kilobytes of heap each service. Any other registry gets ordinary counters.
 */
abstract class TokenRequestCounts {

	static final String NAME = "broker.token.requests";

	static final String HELP = "Token requests by service and outcome";

	private static final Outcome[] OUTCOMES = Outcome.values();

	/**
	 * @param commonTags the tags every meter of the registry carries
	 * ({@code management.metrics.tags}), which the Prometheus collector adds itself
	 */
	static TokenRequestCounts register(ServiceCatalog catalog, MeterRegistry registry, Map<String, String> commonTags) {
		if (registry instanceof PrometheusMeterRegistry prometheus) {
			Collected counts = new Collected(catalog, commonTags);
			prometheus.getPrometheusRegistry().register(counts);
			return counts;
		}
		return new Registered(catalog, registry);
	}

	/**
	 * Count one request; a name outside the catalog is not counted.
	 */
	abstract void count(ServiceName name, Outcome outcome);

	private static String tagValue(Outcome outcome) {
		return outcome.name().toLowerCase(Locale.ROOT);
	}

	/** Counts in arrays, written to Prometheus by a collector. */
	private static final class Collected extends TokenRequestCounts implements MultiCollector {

		private final Map<ServiceName, AtomicLongArray> counts = new HashMap<>();

		private final Map<String, String> commonTags;

		Collected(ServiceCatalog catalog, Map<String, String> commonTags) {
			for (ServiceDescriptor service : catalog.services()) {
				this.counts.put(service.name(), new AtomicLongArray(OUTCOMES.length));
			}
			this.commonTags = Map.copyOf(commonTags);
		}

		@Override
		void count(ServiceName name, Outcome outcome) {
			AtomicLongArray byOutcome = this.counts.get(name);
			if (byOutcome != null) {
				byOutcome.incrementAndGet(outcome.ordinal());
			}
		}

		@Override
		public MetricSnapshots collect() {
			CounterSnapshot.Builder requests = CounterSnapshot.builder()
				.name(TokenMetrics.prometheusName(NAME))
				.help(HELP);
			this.counts.forEach((name, byOutcome) -> {
				for (Outcome outcome : OUTCOMES) {
					requests.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
						.labels(TokenMetrics.labels(this.commonTags, "outcome", tagValue(outcome), "service",
								name.value()))
						.value(byOutcome.get(outcome.ordinal()))
						.build());
				}
			});
			return MetricSnapshots.of(requests.build());
		}

	}

	/** Micrometer counters, registered at start. */
	private static final class Registered extends TokenRequestCounts {

		private final Map<ServiceName, Counter[]> counters = new HashMap<>();

		Registered(ServiceCatalog catalog, MeterRegistry registry) {
			for (ServiceDescriptor service : catalog.services()) {
				Counter[] byOutcome = new Counter[OUTCOMES.length];
				for (Outcome outcome : OUTCOMES) {
					byOutcome[outcome.ordinal()] = Counter.builder(NAME)
						.description(HELP)
						.tag("service", service.name().value())
						.tag("outcome", tagValue(outcome))
						.register(registry);
				}
				this.counters.put(service.name(), byOutcome);
			}
		}

		@Override
		void count(ServiceName name, Outcome outcome) {
			Counter[] byOutcome = this.counters.get(name);
			if (byOutcome != null) {
				byOutcome[outcome.ordinal()].increment();
			}
		}

	}

}
