package com.acme.tokenbroker.support;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.acme.tokenbroker.TokenBrokerApplication;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.type.classreading.MetadataReader;
import org.springframework.core.type.classreading.MetadataReaderFactory;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Several complete broker applications in this JVM, each with its own web server, caches,
 * executors, breakers and Redis connections, sharing a virtual clock: a fleet. Properties
 * are passed as command-line arguments, so they take precedence over the root
 * application.yml as an operator's would.
 */
public final class BrokerInstances implements AutoCloseable {

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	private final Clock clock;

	public BrokerInstances(Clock clock) {
		this.clock = clock;
	}

	/**
	 * Collects properties the way {@code @DynamicPropertySource} methods add them, for
	 * {@link TestWorkspaces#registerCatalog}.
	 */
	public static Map<String, String> properties(java.util.function.Consumer<DynamicPropertyRegistry> registrations) {
		Map<String, String> properties = new LinkedHashMap<>();
		DynamicPropertyRegistry registry = new DynamicPropertyRegistry() {

			@Override
			public void add(String name, Supplier<Object> valueSupplier) {
				properties.put(name, String.valueOf(valueSupplier.get()));
			}

		};
		registrations.accept(registry);
		return properties;
	}

	/**
	 * Turn fleet mode on in a broker's properties.
	 * @param properties the broker's properties, changed
	 * @param keyPrefix the Redis key prefix
	 * @param redisHost Redis's host
	 * @param redisPort Redis's port
	 * @param activeKey the id of the key that seals
	 * @param keys key id to base64 key
	 * @return the properties
	 */
	public static Map<String, String> withFleet(Map<String, String> properties, String keyPrefix, String redisHost,
			int redisPort, String activeKey, Map<String, String> keys) {
		properties.put("broker.fleet.enabled", "true");
		if (keyPrefix != null) {
			properties.put("broker.fleet.key-prefix", keyPrefix);
		}
		properties.put("broker.fleet.encryption.active-key", activeKey);
		keys.forEach((id, key) -> properties.put("broker.fleet.encryption.keys." + id, key));
		properties.put("spring.data.redis.host", redisHost);
		properties.put("spring.data.redis.port", Integer.toString(redisPort));
		return properties;
	}

	/**
	 * Start one more broker.
	 * @param properties its configuration
	 * @return the running application
	 */
	public ConfigurableApplicationContext start(Map<String, String> properties) {
		return start(properties, (app) -> {
		});
	}

	/**
	 * Start one more broker with beans of the test's own (a fast {@code Sleeper}, say).
	 * @param properties its configuration
	 * @param beans registers the extra beans
	 * @return the running application
	 */
	public ConfigurableApplicationContext start(Map<String, String> properties,
			java.util.function.Consumer<GenericApplicationContext> beans) {
		Map<String, String> all = new LinkedHashMap<>();
		all.put("server.port", "0");
		all.put("management.server.port", "0");
		all.putAll(properties);
		List<String> args = new ArrayList<>();
		all.forEach((name, value) -> args.add("--" + name + "=" + value));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TokenBrokerApplication.class)
			.web(WebApplicationType.SERVLET)
			.initializers((GenericApplicationContext app) -> {
				app.registerBean("virtualClock", Clock.class, () -> this.clock, (bean) -> bean.setPrimary(true));
				app.getBeanFactory().registerSingleton("skipTestClasses", new SkipTestClasses());
				beans.accept(app);
			})
			.run(args.toArray(String[]::new));
		this.contexts.add(context);
		return context;
	}

	public List<ConfigurableApplicationContext> all() {
		return List.copyOf(this.contexts);
	}

	public static int port(ConfigurableApplicationContext context) {
		return ((WebServerApplicationContext) context).getWebServer().getPort();
	}

	public void stop(ConfigurableApplicationContext context) {
		this.contexts.remove(context);
		context.close();
	}

	@Override
	public void close() {
		for (ConfigurableApplicationContext context : this.contexts) {
			context.close();
		}
		this.contexts.clear();
	}

	/**
	 * Component scanning must not pick up the test sources' configurations (they set up
	 * other tests).
	 */
	static final class SkipTestClasses extends TypeExcludeFilter {

		@Override
		public boolean match(MetadataReader metadataReader, MetadataReaderFactory metadataReaderFactory)
				throws IOException {
			return metadataReader.getResource().getURL().toString().contains("/test-classes/");
		}

		@Override
		public boolean equals(Object obj) {
			return obj instanceof SkipTestClasses;
		}

		@Override
		public int hashCode() {
			return SkipTestClasses.class.hashCode();
		}

	}

}
