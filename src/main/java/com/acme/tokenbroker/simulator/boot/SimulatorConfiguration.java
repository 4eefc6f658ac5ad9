package com.acme.tokenbroker.simulator.boot;

import java.time.Clock;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Exposes the simulated workspace started by {@link SimulatorEnvironmentPostProcessor} as
 * a bean that follows the application's clock and is closed with the context, and opens
 * {@code /simulator/**} (caller tokens for trying the broker out, the regions' fault
 * switch for trying an outage) without authentication. Present whether the simulator is
 * enabled or not, as Spring AOT needs (it fixes the beans when the jar is built): while
 * it is disabled there is no simulated workspace (the bean is null, nothing is started)
 * and the filter chain matches no request, so {@code /simulator/**} needs a caller token
 * like any other path.
 */
@Configuration(proxyBeanMethods = false)
class SimulatorConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(SimulatorConfiguration.class);

	/**
	 * The simulated workspace, or {@code null} (no bean) while the simulator is disabled.
	 */
	@Bean(destroyMethod = "close")
	SimulatedWorkspace simulatedWorkspace(SimulatorProperties properties, ConfigurableEnvironment environment,
			Clock clock) {
		if (!properties.enabled()) {
			return null;
		}
		SimulatedWorkspace simulator = SimulatorEnvironmentPostProcessor.simulator(environment)
			.orElseThrow(() -> new IllegalStateException(
					"broker.simulator.enabled is true but the simulated workspace did not start"));
		simulator.useClock(clock);
		logger.warn(
				"SIMULATED WORKSPACE ACTIVE: Entra ID and Azure ML are simulated in this process on loopback "
						+ "(regions {}); tokens are fake. Never use the 'simulator' profile in production.",
				simulator.regions());
		return simulator;
	}

	@Bean
	@Order(5)
	SecurityFilterChain simulatorSecurityFilterChain(HttpSecurity http, SimulatorProperties properties)
			throws Exception {
		RequestMatcher simulatorPaths = PathPatternRequestMatcher.withDefaults().matcher("/simulator/**");
		http.securityMatcher(properties.enabled() ? simulatorPaths : (request) -> false)
			.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll())
			.csrf((csrf) -> csrf.disable())
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
		return http.build();
	}

}
