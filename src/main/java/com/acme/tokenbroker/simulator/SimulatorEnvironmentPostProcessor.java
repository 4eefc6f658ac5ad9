package com.acme.tokenbroker.simulator;

import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.InvalidConfigurationException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * When {@code broker.simulator.enabled} is true, starts the embedded simulated workspace before the application
 * context binds its configuration, and puts the properties that point the broker at it first in the environment.
 * <p>
 * Guard rails, so the simulator is never active in production by accident: it is off unless enabled (the
 * {@code simulator} profile does), it refuses to start inside Kubernetes ({@code KUBERNETES_SERVICE_HOST} set) unless
 * {@code broker.simulator.allow-in-cluster} is also true, it serves on loopback only, and the broker logs a warning at
 * start while it is active.
 */
public class SimulatorEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/** Name of the property source holding the simulator; its source object is the {@link SimulatedWorkspace}. */
	public static final String PROPERTY_SOURCE_NAME = "tokenBrokerSimulator";

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		Binder binder = Binder.get(environment);
		SimulatorProperties properties = binder.bindOrCreate("broker.simulator", SimulatorProperties.class);
		if (!properties.enabled() || environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
			return;
		}
		if (StringUtils.hasText(environment.getProperty("KUBERNETES_SERVICE_HOST")) && !properties.allowInCluster()) {
			throw new InvalidConfigurationException("broker.simulator.enabled",
					"the simulated workspace refuses to run inside Kubernetes; remove the 'simulator' profile "
							+ "(or set broker.simulator.allow-in-cluster=true for a throw-away demo cluster)");
		}
		Map<String, CatalogProperties.Workspace> workspaces = binder
			.bind("broker.workspaces", Bindable.mapOf(String.class, CatalogProperties.Workspace.class))
			.orElse(Map.of());
		Map<String, CatalogProperties.Service> services = binder
			.bind("broker.services", Bindable.mapOf(String.class, CatalogProperties.Service.class))
			.orElse(Map.of());
		SimulatorLauncher.Settings settings = properties.settings();
		SimulatedWorkspace simulator = SimulatorLauncher.launch(workspaces, services, settings);
		environment.getPropertySources()
			.addFirst(new SimulatorPropertySource(simulator,
					SimulatorLauncher.brokerProperties(simulator, workspaces, settings)));
	}

	/** The simulator's properties, with the simulator itself as the source object. */
	static final class SimulatorPropertySource extends MapPropertySource {

		private final SimulatedWorkspace simulator;

		SimulatorPropertySource(SimulatedWorkspace simulator, Map<String, Object> properties) {
			super(PROPERTY_SOURCE_NAME, properties);
			this.simulator = simulator;
		}

		SimulatedWorkspace simulator() {
			return this.simulator;
		}

	}

}
