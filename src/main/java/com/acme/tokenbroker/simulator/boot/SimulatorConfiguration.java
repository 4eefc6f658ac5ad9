package com.acme.tokenbroker.simulator.boot;

import java.time.Clock;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Exposes the simulated workspace started by {@link SimulatorEnvironmentPostProcessor} as
 * a bean that follows the application's clock and is closed with the context, and opens
 * {@code /simulator/**} (caller tokens for trying the broker out) without authentication.
 * Present only while the simulator is enabled.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "broker.simulator.enabled", havingValue = "true")
class SimulatorConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(SimulatorConfiguration.class);

	@Bean(destroyMethod = "close")
	SimulatedWorkspace simulatedWorkspace(ConfigurableEnvironment environment, Clock clock) {
		var source = environment.getPropertySources().get(SimulatorEnvironmentPostProcessor.PROPERTY_SOURCE_NAME);
		if (!(source instanceof SimulatorEnvironmentPostProcessor.SimulatorPropertySource simulatorSource)) {
			throw new IllegalStateException(
					"broker.simulator.enabled is true but the simulated workspace did not start");
		}
		SimulatedWorkspace simulator = simulatorSource.simulator();
		simulator.useClock(clock);
		logger.warn(
				"SIMULATED WORKSPACE ACTIVE: Entra ID and Azure ML are simulated in this process on loopback "
						+ "(regions {}); tokens are fake. Never use the 'simulator' profile in production.",
				simulator.regions());
		return simulator;
	}

	@Bean
	@Order(5)
	SecurityFilterChain simulatorSecurityFilterChain(HttpSecurity http) throws Exception {
		http.securityMatcher("/simulator/**")
			.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll())
			.csrf((csrf) -> csrf.disable())
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
		return http.build();
	}

}
