package com.acme.tokenbroker.token;

import com.acme.tokenbroker.system.OutboundTls;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the injecting proxy: its own HTTP client ({@link ScoringProxy#client}), with the
 * trust and outbound proxy of every outbound call ({@link OutboundTls}), and the proxy's
 * timeouts.
 */
@Configuration(proxyBeanMethods = false)
class ProxyConfiguration {

	@Bean
	ScoringProxy scoringProxy(TokenBroker broker, OutboundTls tls, ProxyProperties properties,
			MeterRegistry meterRegistry) {
		return new ScoringProxy(broker, ScoringProxy.client(tls.sslContext(), tls.proxy(), properties), properties,
				meterRegistry);
	}

}
