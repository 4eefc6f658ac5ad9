package com.acme.tokenbroker.fleet;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class FleetEnvironmentPostProcessorTests {

	private final FleetEnvironmentPostProcessor postProcessor = new FleetEnvironmentPostProcessor();

	@Test
	void fleetModeOffLeavesEveryRedisAutoConfigurationOut() {
		StandardEnvironment environment = environment(Map.of());

		this.postProcessor.postProcessEnvironment(environment, new SpringApplication());

		assertThat(excluded(environment))
			.containsExactlyElementsOf(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS)
			.contains("org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration");
	}

	@Test
	void fleetModeOffKeepsTheOperatorsOwnExclusions() {
		StandardEnvironment environment = environment(
				Map.of("spring.autoconfigure.exclude[0]", "com.example.One", "spring.autoconfigure.exclude[1]",
						"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
						"broker.fleet.enabled", "false"));

		this.postProcessor.postProcessEnvironment(environment, new SpringApplication());

		List<String> excluded = excluded(environment);
		assertThat(excluded).startsWith("com.example.One")
			.containsAll(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS)
			.doesNotHaveDuplicates()
			.hasSize(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS.size() + 1);
	}

	/**
	 * Fleet mode builds its Redis connection in a context of its own (FleetRedis): the
	 * broker's bean definitions stay the same with fleet mode on and off, as Spring AOT
	 * needs.
	 */
	@Test
	void fleetModeOnLeavesRedisOutOfTheBrokersContextToo() {
		StandardEnvironment environment = environment(
				Map.of("broker.fleet.enabled", "true", "spring.autoconfigure.exclude", "com.example.One"));

		this.postProcessor.postProcessEnvironment(environment, new SpringApplication());

		assertThat(excluded(environment)).startsWith("com.example.One")
			.containsAll(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS)
			.hasSize(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS.size() + 1);
	}

	@Test
	void runningTwiceAddsNothingTwice() {
		StandardEnvironment environment = environment(Map.of());

		this.postProcessor.postProcessEnvironment(environment, new SpringApplication());
		this.postProcessor.postProcessEnvironment(environment, new SpringApplication());

		assertThat(excluded(environment)).doesNotHaveDuplicates()
			.containsExactlyElementsOf(FleetEnvironmentPostProcessor.REDIS_AUTO_CONFIGURATIONS);
	}

	private static StandardEnvironment environment(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
		return environment;
	}

	private static List<String> excluded(StandardEnvironment environment) {
		return Binder.get(environment)
			.bind("spring.autoconfigure.exclude", Bindable.listOf(String.class))
			.orElse(List.of());
	}

}
