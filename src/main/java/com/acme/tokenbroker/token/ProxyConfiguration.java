package com.acme.tokenbroker.token;

import com.acme.tokenbroker.system.OutboundTls;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the injecting proxy: its own HTTP client, with the trust of every outbound call
 * ({@link OutboundTls}), HTTP/1.1, no redirect followed, and the proxy's connect timeout.
 */
@Configuration(proxyBeanMethods = false)
class ProxyConfiguration {

	// The client keeps the JDK's default executor. Every exchange is sent synchronously
	// from a request thread, so the client's own work (delivering an answer's headers
	// and body parts) grows with the exchanges under way, which the server's request
	// threads bound already; a bounded executor would set no other bound, only make one
	// exchange's body part wait behind another's tasks.
	@Bean
	ScoringProxy scoringProxy(TokenBroker broker, OutboundTls tls, ProxyProperties properties,
			MeterRegistry meterRegistry) {
		return new ScoringProxy(broker, tls.httpClientBuilder(properties.connectTimeout()).build(), properties,
				meterRegistry);
	}

}
