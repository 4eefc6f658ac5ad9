package com.acme.tokenbroker.upstream;

import java.time.Clock;

import com.acme.tokenbroker.principal.Identities;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.OutboundProperties;
import com.acme.tokenbroker.system.OutboundTls;
import com.acme.tokenbroker.system.Sleeper;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the Azure ML token client (JDK HTTP client, the broker's trust and each service's
 * identity, response validation) behind the per-region circuit breaker, bulkhead and rate
 * limiter.
 */
@Configuration(proxyBeanMethods = false)
class UpstreamConfiguration {

	@Bean
	AzureMlClient azureMlClient(UpstreamProperties properties, OutboundProperties outbound, OutboundTls tls,
			Identities identities, CircuitBreakers breakers, BulkheadRegistry bulkheads,
			RateLimiterRegistry rateLimiters, ObjectProvider<SharedBudget> sharedBudget, MeterRegistry meterRegistry,
			JsonMapper jsonMapper, ObjectProvider<Sleeper> sleeper, Clock clock) {
		java.net.http.HttpClient httpClient = tls.httpClient(outbound.connectTimeout());
		UpstreamHttp http = new UpstreamHttp(httpClient, properties, identities::principal, jsonMapper, clock,
				meterRegistry.config().clock());
		TokenResponseReader reader = new TokenResponseReader(clock);
		RegionGuard guard = new RegionGuard(breakers, bulkheads, rateLimiters,
				sharedBudget.getIfAvailable(() -> SharedBudget.NONE), meterRegistry);
		return new AzureMlClient(http, reader, guard, meterRegistry, sleeper.getIfAvailable(() -> Sleeper.THREAD),
				properties, clock);
	}

}
