package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each configured, cached and requested service costs the broker in heap: the
 * catalog entry, the cache entry with its token, the refresh state, and the service's
 * metrics on the Prometheus registry the application runs with, measured as the retained
 * size of the whole graph with many services against the same graph with few (issue 14).
 * <p>
 * The budget is 4 KiB per service in the running broker; Spring Boot's own records of the
 * service's configuration properties (the property source, its name mappings, the bound
 * properties) take about 2 KiB of it, outside this graph, so the broker's own structures
 * get the other half.
 * <p>
 * The class runs first in the suite: the graph reaches Caffeine's executor, the common
 * fork-join pool, and through its threads everything else alive in the JVM; later in the
 * suite that is every cached Spring context, which made both walks take minutes and moved
 * the difference between them.
 */
@Order(1)
class TokenCacheFootprintTests {

	static {
		// the graph holds lambdas (hidden classes), whose field offsets Unsafe refuses
		System.setProperty("jol.magicFieldOffset", "true");
	}

	private static final int FEW = 100;

	private static final int MANY = 2100;

	private static final long BUDGET_PER_SERVICE = 2048;

	/** A token of the simulator's size (an ES256 JWT with the workspace's claims). */
	private static final int TOKEN_LENGTH = 666;

	@Test
	void retainedSizeWhenEveryServiceIsConfiguredCachedAndRequestedThenWithinBudgetPerService() {
		long few = retainedSize(FEW);
		long many = retainedSize(MANY);

		long perService = (many - few) / (MANY - FEW);
		System.out.println("Retained heap per configured, cached and requested service: " + perService + " B");

		assertThat(perService).as("retained bytes per configured and cached service").isLessThan(BUDGET_PER_SERVICE);
	}

	private static long retainedSize(int services) {
		MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");
		ServiceCatalog catalog = catalog(services);
		TokenProperties properties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
				Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(2), false,
				10000, Duration.ZERO, 2, Duration.ofHours(24), Duration.ofMinutes(10));
		RefreshPolicy policy = new RefreshPolicy(properties, new SplittableRandom(42)::nextLong);
		PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
				new PrometheusRegistry(), io.micrometer.core.instrument.Clock.SYSTEM);
		registry.config().commonTags("application", "token-broker");
		TokenCache cache = new TokenCache(catalog, TokenCacheFootprintTests::token, policy, properties, Runnable::run,
				registry, clock);
		TokenMetrics.register(cache, registry, Map.of("application", "token-broker"), clock);
		TokenMetrics.registerMinimumRunway(cache, catalog, registry, clock);
		TokenBroker broker = new TokenBroker(catalog, cache, policy, properties,
				new CircuitBreakers(CircuitBreakerRegistry.ofDefaults(), clock), registry,
				Map.of("application", "token-broker"), clock);
		for (ServiceDescriptor service : catalog.services()) {
			assertThat(cache.load(service)).isCompleted();
			assertThat(broker.cached(service.name())).isNotNull();
		}
		assertThat(registry.scrape()).contains("broker_token_expiry_seconds{", "broker_token_requests_total{");
		return GraphLayout.parseInstance(catalog, cache, broker, registry).totalSize();
	}

	/** The services of bench/bench.py's footprint run: one workspace, not required. */
	private static ServiceCatalog catalog(int services) {
		Map<String, CatalogProperties.Workspace> workspaces = new LinkedHashMap<>();
		workspaces.put("demo-weu", new CatalogProperties.Workspace("00000000-0000-0000-0000-000000000001", "rg-demo",
				"ws-demo-weu", "westeurope", null, null, "2025-06-01"));
		Map<String, CatalogProperties.Service> entries = new LinkedHashMap<>();
		for (int i = 0; i < services; i++) {
			entries.put("svc-" + i, new CatalogProperties.Service("demo-weu", ServiceKind.WEBSERVICE, null, false));
		}
		return new ServiceCatalog(new CatalogProperties(workspaces, entries));
	}

	/**
	 * A token as the upstream source builds one: its own value and scoring address, times
	 * of its own.
	 */
	private static BrokeredToken token(ServiceDescriptor service, BrokeredToken held) {
		Instant now = Instant.parse("2026-11-28T10:00:00Z");
		String value = "e".repeat(TOKEN_LENGTH - 6)
				+ String.format("%06d", Math.abs(service.name().hashCode() % 1000000));
		return new BrokeredToken(service.name(), "Bearer", value, now.plus(Duration.ofMinutes(30)),
				now.plus(Duration.ofHours(12)), now, AuthMode.AML_TOKEN.credentialType(),
				"https://westeurope.api.azureml.ms/api/v1/service/" + service.name() + "/score");
	}

}
