package com.acme.tokenbroker;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.acme.tokenbroker.simulator.boot.SimulatorEnvironmentPostProcessor;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationHook;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Spring AOT (issue 14, item 2) fixes the bean definitions when the jar is built: the
 * image runs the generated initializers with whatever configuration the operator mounts.
 * So every configuration must define the same beans, and fleet mode, the simulator and
 * the fast path choose at run time, inside their beans. Each configuration here is
 * processed as {@code spring-boot:process-aot} does (configuration classes parsed,
 * conditions evaluated, nothing instantiated), so nothing connects anywhere.
 */
class AotBeanDefinitionsTests {

	private static final String[] SIMULATOR = { "--spring.profiles.active=simulator" };

	@Test
	void everyConfigurationDefinesTheSameBeans() {
		Set<String> simulator = beanDefinitions(SIMULATOR);

		assertThat(beanDefinitions(SIMULATOR, "--broker.fleet.enabled=true",
				"--spring.data.redis.url=redis://127.0.0.1:1", "--broker.fleet.encryption.active-key=k1",
				"--broker.fleet.encryption.keys.k1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
			.as("fleet mode")
			.containsExactlyInAnyOrderElementsOf(simulator);
		assertThat(beanDefinitions(SIMULATOR, "--broker.fleet.enabled=true", "--broker.fleet.shared-budget=false"))
			.as("fleet mode without a shared budget")
			.containsExactlyInAnyOrderElementsOf(simulator);
		assertThat(beanDefinitions(SIMULATOR, "--broker.tokens.fast-path=false")).as("fast path off")
			.containsExactlyInAnyOrderElementsOf(simulator);
		assertThat(beanDefinitions("--broker.identity.mode=client-secret",
				"--broker.identity.tenant-id=00000000-0000-0000-0000-000000000001",
				"--broker.identity.client-id=00000000-0000-0000-0000-000000000002",
				"--broker.identity.client-secret=not-a-secret"))
			.as("a real identity, no simulator")
			.containsExactlyInAnyOrderElementsOf(simulator);
		assertThat(beanDefinitions("--broker.identity.mode=workload-identity")).as("workload identity, no simulator")
			.containsExactlyInAnyOrderElementsOf(simulator);
	}

	/**
	 * The other side of the contract, documented in docs/deploy.md: Spring Boot's own
	 * auto-configuration still follows some properties, which must then be the same when
	 * the jar is built as when it runs.
	 */
	@Test
	void theManagementPortIsDecidedWhenTheJarIsBuilt() {
		assertThat(beanDefinitions(SIMULATOR, "--management.server.port=8081"))
			.isNotEqualTo(beanDefinitions(SIMULATOR, "--management.server.port=8080", "--server.port=8080"));
	}

	/**
	 * The bean definitions of the broker started with these arguments, from the working
	 * directory's application.yml as in production, after the refresh AOT processing
	 * does.
	 */
	static Set<String> beanDefinitions(String[] first, String... more) {
		List<String> args = new ArrayList<>(List.of(first));
		args.addAll(List.of(more));
		return beanDefinitions(args.toArray(String[]::new));
	}

	static Set<String> beanDefinitions(String... args) {
		Set<String> names = new TreeSet<>();
		SpringApplicationHook hook = (application) -> new SpringApplicationRunListener() {

			@Override
			public void contextLoaded(ConfigurableApplicationContext context) {
				try {
					((GenericApplicationContext) context).refreshForAotProcessing(new RuntimeHints());
					names.addAll(List.of(context.getBeanDefinitionNames()));
				}
				finally {
					SimulatorEnvironmentPostProcessor.simulator(context.getEnvironment())
						.ifPresent((simulator) -> simulator.close());
				}
				throw new SpringApplication.AbandonedRunException(context);
			}

		};
		assertThatExceptionOfType(SpringApplication.AbandonedRunException.class).isThrownBy(() -> SpringApplication
			.withHook(hook, () -> new SpringApplication(TokenBrokerApplication.class).run(args)));
		assertThat(names).isNotEmpty();
		return names;
	}

}
