package com.acme.tokenbroker.support;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.env.CompositePropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.MergedContextConfiguration;
import org.springframework.test.context.junit.jupiter.SpringExtension;
import org.springframework.test.context.support.TestPropertySourceUtils;
import org.springframework.util.ReflectionUtils;

/**
 * The wiring behind {@link SimulatedWorkspaceTest}: finds the test class's static
 * {@link SimulatedWorkspace} and {@link MutableClock} fields, as Spring Boot's
 * {@code @ImportTestcontainers} finds static container fields; as a context customizer it
 * registers the simulator's properties, the clock bean and {@link Http} and
 * {@link RawHttp} clients of the broker's port, as a JUnit extension it closes the
 * simulator after the class and, for {@link SimulatedWorkspaceTest#resetFaults()}, resets
 * the broker's circuit breakers before each test and clears the simulator's faults after
 * it.
 * <p>
 * The extension alone serves a class that starts brokers of its own with
 * {@link BrokerInstances}: {@code @ExtendWith(SimulatedWorkspaceHarness.class)}.
 */
public class SimulatedWorkspaceHarness
		implements ContextCustomizerFactory, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

	static final String PROPERTY_SOURCE_NAME = "Simulated Workspace Properties";

	static final String LAYERED_PROPERTY_SOURCE_NAME = "Test Properties Over Simulated Workspace Properties";

	/** Where spring-test keeps {@code @DynamicPropertySource} values. */
	static final String DYNAMIC_PROPERTY_SOURCE_NAME = "Dynamic Test Properties";

	@Override
	public ContextCustomizer createContextCustomizer(Class<?> testClass,
			List<ContextConfigurationAttributes> configAttributes) {
		MergedAnnotation<SimulatedWorkspaceTest> annotation = MergedAnnotations
			.from(testClass, MergedAnnotations.SearchStrategy.TYPE_HIERARCHY)
			.get(SimulatedWorkspaceTest.class);
		return annotation.isPresent() ? new Customizer(testClass, annotation.getBoolean("testCatalog")) : null;
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		if (resetsFaults(context.getRequiredTestClass())) {
			SpringExtension.getApplicationContext(context)
				.getBean(CircuitBreakers.class)
				.all()
				.values()
				.forEach(CircuitBreaker::reset);
		}
	}

	@Override
	public void afterEach(ExtensionContext context) {
		if (resetsFaults(context.getRequiredTestClass())) {
			SimulatedWorkspace simulator = simulatorOf(context.getRequiredTestClass());
			for (String region : simulator.regions()) {
				simulator.faults(region).clear();
				for (Operation operation : Operation.values()) {
					simulator.faults(region, operation).clear();
				}
			}
			simulator.entraFaults().clear();
		}
	}

	@Override
	public void afterAll(ExtensionContext context) {
		simulatorOf(context.getRequiredTestClass()).close();
	}

	private static boolean resetsFaults(Class<?> testClass) {
		MergedAnnotation<SimulatedWorkspaceTest> annotation = MergedAnnotations
			.from(testClass, MergedAnnotations.SearchStrategy.TYPE_HIERARCHY)
			.get(SimulatedWorkspaceTest.class);
		return annotation.isPresent() && annotation.getBoolean("resetFaults");
	}

	static SimulatedWorkspace simulatorOf(Class<?> testClass) {
		List<SimulatedWorkspace> simulators = staticFields(testClass, SimulatedWorkspace.class);
		if (simulators.size() != 1) {
			throw new IllegalStateException(
					testClass.getName() + " needs one static SimulatedWorkspace field, has " + simulators.size());
		}
		return simulators.get(0);
	}

	static MutableClock clockOf(Class<?> testClass) {
		List<MutableClock> clocks = staticFields(testClass, MutableClock.class);
		if (clocks.size() > 1) {
			throw new IllegalStateException(testClass.getName() + " has " + clocks.size()
					+ " static MutableClock fields, which one is the broker's?");
		}
		return clocks.isEmpty() ? null : clocks.get(0);
	}

	private static <T> List<T> staticFields(Class<?> testClass, Class<T> type) {
		List<T> values = new ArrayList<>();
		ReflectionUtils.doWithFields(testClass, (field) -> {
			ReflectionUtils.makeAccessible(field);
			values.add(type.cast(field.get(null)));
		}, (field) -> isStaticOf(field, type));
		return values;
	}

	private static boolean isStaticOf(Field field, Class<?> type) {
		return Modifier.isStatic(field.getModifiers()) && type.isAssignableFrom(field.getType());
	}

	/**
	 * One per test class, so no two classes share a context and with it a simulator.
	 */
	record Customizer(Class<?> testClass, boolean testCatalog) implements ContextCustomizer {

		@Override
		public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration mergedConfig) {
			SimulatedWorkspace simulator = simulatorOf(this.testClass);
			if (this.testCatalog) {
				Map<String, Object> properties = new LinkedHashMap<>();
				TestWorkspaces.register((name, value) -> properties.put(name, value.get()), simulator);
				MutablePropertySources sources = context.getEnvironment().getPropertySources();
				if (!sources.contains(DYNAMIC_PROPERTY_SOURCE_NAME) && hasDynamicPropertySources(this.testClass)) {
					throw new IllegalStateException("@DynamicPropertySource values of " + this.testClass.getName()
							+ " are not in the environment yet: the harness must run after spring-test's customizer");
				}
				addUnderTheClassesOwn(sources, new MapPropertySource(PROPERTY_SOURCE_NAME, properties));
			}
			registerClients((BeanDefinitionRegistry) context.getBeanFactory(), context.getEnvironment());
			MutableClock clock = clockOf(this.testClass);
			if (clock != null) {
				RootBeanDefinition definition = new RootBeanDefinition(MutableClock.class, () -> clock);
				definition.setPrimary(true);
				((BeanDefinitionRegistry) context.getBeanFactory()).registerBeanDefinition("virtualClock", definition);
			}
		}

		/**
		 * Clients of the broker's port, which they read at each request:
		 * {@code local.server.port} is there once the server has started, before any test
		 * runs, but not yet when beans are created.
		 */
		private static void registerClients(BeanDefinitionRegistry registry, ConfigurableEnvironment environment) {
			IntSupplier port = () -> environment.getRequiredProperty("local.server.port", Integer.class);
			registry.registerBeanDefinition("api", new RootBeanDefinition(Http.class, () -> new Http(port)));
			registry.registerBeanDefinition("rawHttp", new RootBeanDefinition(RawHttp.class, () -> new RawHttp(port)));
		}

		private static boolean hasDynamicPropertySources(Class<?> testClass) {
			List<Method> methods = new ArrayList<>();
			ReflectionUtils.doWithMethods(testClass, methods::add,
					(method) -> method.isAnnotationPresent(DynamicPropertySource.class));
			return !methods.isEmpty();
		}

		/**
		 * Under the class's dynamic properties and {@code properties}, which override it,
		 * and in one source with them: Spring Boot binds an indexed list (e.g.
		 * {@code broker.access.rules}) from the first source that has any of its
		 * elements, so a class adding {@code rules[1]} must not hide the harness's
		 * {@code rules[0]}.
		 */
		private static void addUnderTheClassesOwn(MutablePropertySources sources, MapPropertySource harness) {
			CompositePropertySource layered = new CompositePropertySource(LAYERED_PROPERTY_SOURCE_NAME);
			for (String own : List.of(DYNAMIC_PROPERTY_SOURCE_NAME,
					TestPropertySourceUtils.INLINED_PROPERTIES_PROPERTY_SOURCE_NAME)) {
				PropertySource<?> source = sources.get(own);
				if (source != null) {
					layered.addPropertySource(source);
				}
			}
			layered.addPropertySource(harness);
			sources.addFirst(layered);
		}

	}

}
