package com.acme.tokenbroker.sink;

import java.time.Clock;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenCache;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the file sinks, advanced by the refresher's ticks. The same beans whatever
 * {@code broker.sinks} holds (Spring AOT): the sinks are chosen inside {@link FileSinks}.
 */
@Configuration(proxyBeanMethods = false)
class SinkConfiguration {

	@Bean
	FileSinks fileSinks(SinkProperties properties, ServiceCatalog catalog, TokenCache cache, RefreshPolicy policy,
			JsonMapper jsonMapper, MeterRegistry meterRegistry, Clock clock) {
		return new FileSinks(properties, catalog, cache, policy, jsonMapper, meterRegistry, clock);
	}

	@Bean("sinks")
	SinksHealthIndicator sinksHealthIndicator(FileSinks sinks) {
		return new SinksHealthIndicator(sinks);
	}

}
