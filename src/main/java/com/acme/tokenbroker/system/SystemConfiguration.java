package com.acme.tokenbroker.system;

import java.time.Clock;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Cross-cutting beans: the clock every time decision reads, the cache manager the token
 * cache registers with (so Actuator's cache metrics see it), the circuit breakers, and
 * the trust and proxy used for outbound HTTPS.
 */
@Configuration(proxyBeanMethods = false)
@EnableCaching
class SystemConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(SystemConfiguration.class);

	@Bean
	Clock clock() {
		return Clock.systemUTC();
	}

	@Bean
	CaffeineCacheManager cacheManager() {
		CaffeineCacheManager manager = new CaffeineCacheManager();
		manager.setAllowNullValues(false);
		manager.setCacheNames(java.util.List.of());
		return manager;
	}

	@Bean
	static StartTasks startTasks() {
		return new StartTasks();
	}

	@Bean
	CircuitBreakers circuitBreakers(CircuitBreakerRegistry registry, Clock clock) {
		return new CircuitBreakers(registry, clock);
	}

	/**
	 * Tomcat reads a request body from the socket at most its read buffer at a time, 8 KB
	 * by default, each read a trip through its layers and, when the next part has not
	 * arrived yet, through its poller: the injecting proxy paid for that in latency on
	 * large bodies (bench/README.md). 16 KB halves the reads for 16 KB more per open
	 * connection (the socket's read buffer and the request buffer both grow); larger
	 * buffers gained little more and would cost a burst of new connections far more.
	 */
	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> socketReadBuffer() {
		return (factory) -> factory
			.addConnectorCustomizers((connector) -> connector.setProperty("socket.appReadBufSize", "16384"));
	}

	@Bean
	OutboundTls outboundTls(SslBundles sslBundles, OutboundProperties outbound, Environment environment) {
		// HTTPS_PROXY and NO_PROXY through Spring's environment, where tests can set them
		OutboundProxy proxy = OutboundProxy.from(outbound.proxy(), environment::getProperty);
		if (!proxy.isDirect()) {
			logger.info("Outbound calls: {}", proxy);
		}
		return OutboundTls.from(sslBundles, outbound.sslBundle(), proxy);
	}

}
