package com.acme.tokenbroker.system;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The request id and trace of every request in its log lines and its answer
 * ({@link RequestContextValve}). In the application context for the API server, and,
 * listed in
 * {@code META-INF/spring/org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration.imports},
 * in the management context too: when {@code management.server.port} differs, that
 * context makes its own Tomcat with its own customizers, none of the application's.
 */
@Configuration(proxyBeanMethods = false)
class RequestContextConfiguration {

	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> requestContextValve() {
		return (factory) -> factory.addEngineValves(new RequestContextValve());
	}

}
