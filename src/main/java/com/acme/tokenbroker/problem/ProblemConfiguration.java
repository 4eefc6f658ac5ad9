package com.acme.tokenbroker.problem;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Problems for the errors a broker server answers before the broker's code
 * ({@link ProblemErrorPages}). In the application context for the API server, and, listed
 * in
 * {@code META-INF/spring/org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration.imports},
 * in the management context too: when {@code management.server.port} differs, that
 * context makes its own Tomcat with its own customizers, none of the application's.
 */
@Configuration(proxyBeanMethods = false)
class ProblemConfiguration {

	@Bean
	ProblemErrorPages problemErrorPages() {
		return new ProblemErrorPages();
	}

}
