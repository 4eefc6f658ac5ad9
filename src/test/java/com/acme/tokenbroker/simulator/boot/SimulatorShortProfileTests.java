package com.acme.tokenbroker.simulator.boot;

import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The {@code simulator-short} profile (README, "Try an outage"): its file outranks the
 * simulator profile's and the operator's application.yml whichever order the profiles are
 * named in, and it refuses to run without the simulator, where its minutes-long margins
 * would apply to real tokens.
 */
class SimulatorShortProfileTests {

	private static final String OPERATOR_FILE = "Config resource 'file [application.yml]' via location 'optional:file:./'";

	private static final String PACKAGED_FILE = "Config resource 'class path resource [application.yml]' via location "
			+ "'optional:classpath:/'";

	private static final String SIMULATOR_FILE = "Config resource 'class path resource [application-simulator.yml]' "
			+ "via location 'optional:classpath:/'";

	private static final String SHORT_FILE = "Config resource 'class path resource [application-simulator-short.yml]' "
			+ "via location 'optional:classpath:/'";

	private static MutablePropertySources sources(String... names) {
		MutablePropertySources sources = new MutablePropertySources();
		sources.addLast(new MapPropertySource("commandLineArgs", Map.of()));
		for (String name : names) {
			sources.addLast(new MapPropertySource(name, Map.of()));
		}
		return sources;
	}

	private static List<String> names(MutablePropertySources sources) {
		return StreamSupport.stream(sources.spliterator(), false).map(PropertySource::getName).toList();
	}

	@Test
	void rankSimulatorFileFirstWhenBothProfilesThenTheShortFileLeadsWhateverTheirOrder() {
		MutablePropertySources namedSimulatorFirst = sources(OPERATOR_FILE, SHORT_FILE, SIMULATOR_FILE, PACKAGED_FILE);
		MutablePropertySources namedShortFirst = sources(OPERATOR_FILE, SIMULATOR_FILE, SHORT_FILE, PACKAGED_FILE);

		SimulatorEnvironmentPostProcessor.rankSimulatorFileFirst(namedSimulatorFirst);
		SimulatorEnvironmentPostProcessor.rankSimulatorFileFirst(namedShortFirst);

		List<String> expected = List.of("commandLineArgs", SHORT_FILE, SIMULATOR_FILE, OPERATOR_FILE, PACKAGED_FILE);
		assertThat(names(namedSimulatorFirst)).isEqualTo(expected);
		assertThat(names(namedShortFirst)).isEqualTo(expected);
	}

	@Test
	void rankSimulatorFileFirstWhenNoOperatorFileThenTheOrderAmongThePackagedFilesHolds() {
		MutablePropertySources sources = sources(SIMULATOR_FILE, SHORT_FILE, PACKAGED_FILE);

		SimulatorEnvironmentPostProcessor.rankSimulatorFileFirst(sources);

		assertThat(names(sources)).containsExactly("commandLineArgs", SHORT_FILE, SIMULATOR_FILE, PACKAGED_FILE);
	}

	@Test
	void rankSimulatorFileFirstWhenTheSimulatorAloneThenAsBefore() {
		MutablePropertySources sources = sources(OPERATOR_FILE, SIMULATOR_FILE, PACKAGED_FILE);

		SimulatorEnvironmentPostProcessor.rankSimulatorFileFirst(sources);

		assertThat(names(sources)).containsExactly("commandLineArgs", SIMULATOR_FILE, OPERATOR_FILE, PACKAGED_FILE);
	}

	@ParameterizedTest
	@ValueSource(strings = { "simulator,simulator-short", "simulator-short,simulator" })
	void withTheSimulatorTheShortTimingsOutrankTheOperatorsFileAndTheSimulatorsOwn(String profiles) {
		try (ConfigurableApplicationContext context = boot("--spring.profiles.active=" + profiles)) {
			Environment environment = context.getEnvironment();

			assertThat(environment.getProperty("broker.simulator.enabled")).isEqualTo("true");
			assertThat(environment.getProperty("broker.simulator.refresh-after")).isEqualTo("1m");
			assertThat(environment.getProperty("broker.simulator.expires-after")).isEqualTo("3m");
			assertThat(environment.getProperty("broker.tokens.expiry-margin")).isEqualTo("30s");
			assertThat(environment.getProperty("broker.tokens.min-runway")).isEqualTo("1m");
			assertThat(
					environment.getProperty("resilience4j.circuitbreaker.configs.default.wait-duration-in-open-state"))
				.isEqualTo("20s");
			assertThat(environment.getProperty("broker.services.fraud-scoring.workspace"))
				.as("the simulator's demo catalog")
				.isEqualTo("demo-weu");
		}
	}

	@Test
	void withoutTheSimulatorTheShortProfileStopsTheBoot() {
		Throwable failure = catchThrowable(() -> boot("--spring.profiles.active=simulator-short").close());

		Throwable cause = failure;
		while (cause != null && !(cause instanceof InvalidConfigurationException)) {
			cause = cause.getCause();
		}
		assertThat(cause).as("an InvalidConfigurationException in " + failure).isNotNull();
		assertThat(((InvalidConfigurationException) cause).getProperty()).isEqualTo("spring.profiles.active");
		assertThat(cause).hasMessageContaining("simulator,simulator-short");
	}

	private static ConfigurableApplicationContext boot(String profiles) {
		return new SpringApplicationBuilder(TokenBrokerApplication.class).run(profiles, "--server.port=0",
				"--management.server.port=0", "--broker.tokens.warm-up=false");
	}

}
