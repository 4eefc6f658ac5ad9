package com.acme.tokenbroker.support;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/**
 * The {@code broker.token.requests} counts as an operator sees them. On a Prometheus
 * registry the broker writes them itself, as a collector read at each scrape (no
 * Micrometer counter per service), so they are read from a scrape; on any other registry,
 * from its counters.
 */
public final class TokenRequestMetric {

	private TokenRequestMetric() {
	}

	/**
	 * @param meters the broker's registry
	 * @param service the service
	 * @param outcome an outcome, or {@code null} for every outcome
	 * @return the count of the service's requests with that outcome
	 */
	public static double count(MeterRegistry meters, String service, String outcome) {
		return count(meters, "broker.token.requests", service, outcome);
	}

	/**
	 * @param meters the broker's registry
	 * @param metric the counter, e.g. {@code broker.token.rejections}
	 * @param service the service
	 * @param outcome an outcome, or {@code null} for every outcome
	 * @return the count of the service's requests with that outcome
	 */
	public static double count(MeterRegistry meters, String metric, String service, String outcome) {
		String prometheusName = metric.replace('.', '_');
		if (meters instanceof PrometheusMeterRegistry prometheus) {
			for (MetricSnapshot snapshot : prometheus.getPrometheusRegistry().scrape()) {
				if (snapshot instanceof CounterSnapshot requests
						&& requests.getMetadata().getName().equals(prometheusName)) {
					return requests.getDataPoints()
						.stream()
						.filter((point) -> service.equals(point.getLabels().get("service"))
								&& (outcome == null || outcome.equals(point.getLabels().get("outcome"))))
						.mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
						.sum();
				}
			}
			return 0;
		}
		return meters.find(metric)
			.tag("service", service)
			.counters()
			.stream()
			.filter((counter) -> outcome == null || outcome.equals(counter.getId().getTag("outcome")))
			.mapToDouble(Counter::count)
			.sum();
	}

}
