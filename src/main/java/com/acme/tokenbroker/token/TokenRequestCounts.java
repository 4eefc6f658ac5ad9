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
 * from the start; the same for {@code broker.token.rejections} ({@code POST
 * /tokens/{service}/rejections}).
 * <p>
 * On Prometheus, the broker's only registry, the counts are one array per service and one
 * collector writes them at each scrape: four registered counters per service cost about
 * two kilobytes of heap each service. Any other registry gets ordinary counters.
 */
abstract class TokenRequestCounts {

	static final String NAME = "broker.token.requests";

	static final String HELP = "Token requests by service and outcome";

	static final String REJECTIONS_NAME = "broker.token.rejections";

	static final String REJECTIONS_HELP = "Reports of a credential the service refused, by service and outcome: "
			+ "refreshed (a replacement fetched), stale_fingerprint (an older credential: the current one answered), "
			+ "refused (no replacement now: 503)";

	private static final String[] REQUEST_OUTCOMES = tagValues(Outcome.values());

	private final String name;

	private final String help;

	private final String[] outcomes;

	private TokenRequestCounts(String name, String help, String[] outcomes) {
		this.name = name;
		this.help = help;
		this.outcomes = outcomes;
	}

	/**
	 * @param commonTags the tags every meter of the registry carries
	 * ({@code management.metrics.tags}), which the Prometheus collector adds itself
	 */
	static TokenRequestCounts register(ServiceCatalog catalog, MeterRegistry registry, Map<String, String> commonTags) {
		return register(catalog, registry, commonTags, NAME, HELP, REQUEST_OUTCOMES);
	}

	/**
	 * The {@code broker.token.rejections} counter, counted with
	 * {@link #count(ServiceName, Enum)} by {@link TokenBroker.RejectionOutcome}.
	 * @param commonTags the tags every meter of the registry carries
	 */
	static TokenRequestCounts registerRejections(ServiceCatalog catalog, MeterRegistry registry,
			Map<String, String> commonTags) {
		return register(catalog, registry, commonTags, REJECTIONS_NAME, REJECTIONS_HELP,
				tagValues(TokenBroker.RejectionOutcome.values()));
	}

	private static TokenRequestCounts register(ServiceCatalog catalog, MeterRegistry registry,
			Map<String, String> commonTags, String name, String help, String[] outcomes) {
		if (registry instanceof PrometheusMeterRegistry prometheus) {
			Collected counts = new Collected(catalog, commonTags, name, help, outcomes);
			prometheus.getPrometheusRegistry().register(counts);
			return counts;
		}
		return new Registered(catalog, registry, name, help, outcomes);
	}

	/**
	 * Count one request; a name outside the catalog is not counted.
	 */
	void count(ServiceName name, Enum<?> outcome) {
		count(name, outcome.ordinal());
	}

	abstract void count(ServiceName name, int outcome);

	private static String[] tagValues(Enum<?>[] outcomes) {
		String[] values = new String[outcomes.length];
		for (Enum<?> outcome : outcomes) {
			values[outcome.ordinal()] = outcome.name().toLowerCase(Locale.ROOT);
		}
		return values;
	}

	/** Counts in arrays, written to Prometheus by a collector. */
	private static final class Collected extends TokenRequestCounts implements MultiCollector {

		private final Map<ServiceName, AtomicLongArray> counts = new HashMap<>();

		private final Map<String, String> commonTags;

		Collected(ServiceCatalog catalog, Map<String, String> commonTags, String name, String help, String[] outcomes) {
			super(name, help, outcomes);
			for (ServiceDescriptor service : catalog.services()) {
				this.counts.put(service.name(), new AtomicLongArray(outcomes.length));
			}
			this.commonTags = Map.copyOf(commonTags);
		}

		@Override
		void count(ServiceName name, int outcome) {
			AtomicLongArray byOutcome = this.counts.get(name);
			if (byOutcome != null) {
				byOutcome.incrementAndGet(outcome);
			}
		}

		@Override
		public MetricSnapshots collect() {
			CounterSnapshot.Builder requests = CounterSnapshot.builder()
				.name(TokenMetrics.prometheusName(super.name))
				.help(super.help);
			this.counts.forEach((name, byOutcome) -> {
				for (int outcome = 0; outcome < super.outcomes.length; outcome++) {
					requests.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
						.labels(TokenMetrics.labels(this.commonTags, "outcome", super.outcomes[outcome], "service",
								name.value()))
						.value(byOutcome.get(outcome))
						.build());
				}
			});
			return MetricSnapshots.of(requests.build());
		}

	}

	/** Micrometer counters, registered at start. */
	private static final class Registered extends TokenRequestCounts {

		private final Map<ServiceName, Counter[]> counters = new HashMap<>();

		Registered(ServiceCatalog catalog, MeterRegistry registry, String name, String help, String[] outcomes) {
			super(name, help, outcomes);
			for (ServiceDescriptor service : catalog.services()) {
				Counter[] byOutcome = new Counter[outcomes.length];
				for (int outcome = 0; outcome < outcomes.length; outcome++) {
					byOutcome[outcome] = Counter.builder(name)
						.description(help)
						.tag("service", service.name().value())
						.tag("outcome", outcomes[outcome])
						.register(registry);
				}
				this.counters.put(service.name(), byOutcome);
			}
		}

		@Override
		void count(ServiceName name, int outcome) {
			Counter[] byOutcome = this.counters.get(name);
			if (byOutcome != null) {
				byOutcome[outcome].increment();
			}
		}

	}

}
