package com.acme.tokenbroker.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Leaves Spring Boot's Redis auto-configuration out of the broker's context (adds it to
 * {@code spring.autoconfigure.exclude}, keeping whatever the operator excluded), whether
 * fleet mode is on or off. Fleet mode, the only user of Redis, builds its connection with
 * that auto-configuration in a context of its own ({@link FleetRedis}) once it is on:
 * otherwise a broker that never talks to Redis would still build Lettuce's client
 * resources (its event loop and timer threads), Spring Data's Redis infrastructure and
 * Reactor, classes loaded and threads started on every sidecar for nothing (what leaving
 * them out saved at start is in bench/README.md). Left out in both modes, so that the
 * broker's bean definitions do not depend on fleet mode: Spring AOT fixes them when the
 * jar is built.
 */
public class FleetEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/** Name of the property source that carries the exclusions. */
	public static final String PROPERTY_SOURCE_NAME = "tokenBrokerRedisExcluded";

	static final String EXCLUDE = "spring.autoconfigure.exclude";

	/** Spring Boot's auto-configurations for Redis, all left out. */
	static final List<String> REDIS_AUTO_CONFIGURATIONS = List.of(
			"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration");

	@Override
	public int getOrder() {
		// after the configuration files and profiles have been read
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		Binder binder = Binder.get(environment);
		if (environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
			return;
		}
		List<String> excluded = new ArrayList<>(binder.bind(EXCLUDE, Bindable.listOf(String.class)).orElse(List.of()));
		REDIS_AUTO_CONFIGURATIONS.stream().filter((name) -> !excluded.contains(name)).forEach(excluded::add);
		environment.getPropertySources()
			.addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME, Map.of(EXCLUDE, String.join(",", excluded))));
	}

}
