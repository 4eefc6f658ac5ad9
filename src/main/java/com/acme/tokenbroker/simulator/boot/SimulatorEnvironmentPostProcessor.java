package com.acme.tokenbroker.simulator.boot;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServicesFile;
import com.acme.tokenbroker.catalog.Cloud;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.system.InvalidConfigurationException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.util.StringUtils;

/**
 * When {@code broker.simulator.enabled} is true, starts the embedded simulated workspace
 * before the application context binds its configuration, and puts the properties that
 * point the broker at it first in the environment.
 * <p>
 * Guard rails, so the simulator is never active in production by accident: it is off
 * unless enabled (the {@code simulator} profile does), it refuses to start inside
 * Kubernetes ({@code KUBERNETES_SERVICE_HOST} set) unless
 * {@code broker.simulator.allow-in-cluster} is also true, it refuses to start beside real
 * settings anywhere (a trusted issuer, an identity setting, a workspace host off
 * loopback: a real deployment with a stray profile, whose callers would otherwise be
 * checked against the simulator's keys) unless
 * {@code broker.simulator.allow-real-settings} is also true, it serves on loopback only,
 * and the broker logs a warning at start while it is active.
 */
public class SimulatorEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/**
	 * Name of the property source holding the simulator; its source object is the
	 * {@link SimulatedWorkspace}.
	 */
	public static final String PROPERTY_SOURCE_NAME = "tokenBrokerSimulator";

	/** The simulator profile's file: its settings and demo catalog. */
	static final String PROFILE_FILE = "application-simulator.yml";

	/**
	 * The profile that shortens the simulator's token lifetimes and the broker's timings
	 * to minutes, for the README's outage demo; it goes with the {@code simulator}
	 * profile.
	 */
	static final String SHORT_PROFILE = "simulator-short";

	/** The {@value #SHORT_PROFILE} profile's file. */
	static final String SHORT_PROFILE_FILE = "application-simulator-short.yml";

	/** How Spring Boot names the property source of a loaded configuration file. */
	private static final String CONFIG_FILE_PREFIX = "Config resource ";

	/** How Spring Boot names a file it read from one of its default locations. */
	private static final java.util.regex.Pattern DEFAULT_LOCATION = java.util.regex.Pattern.compile(
			"via location 'optional:(classpath:/|classpath:/config/|file:\\./|file:\\./config/|file:\\./config/\\*/)'$");

	/**
	 * The simulated workspace this post-processor started in the environment, if any.
	 * @param environment the application's environment
	 * @return the simulator, empty while it is disabled
	 */
	public static Optional<SimulatedWorkspace> simulator(Environment environment) {
		if (environment instanceof ConfigurableEnvironment configurable && configurable.getPropertySources()
			.get(PROPERTY_SOURCE_NAME) instanceof SimulatorPropertySource source) {
			return Optional.of(source.simulator());
		}
		return Optional.empty();
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		rankSimulatorFileFirst(environment.getPropertySources());
		Binder binder = Binder.get(environment);
		SimulatorProperties properties = binder.bindOrCreate("broker.simulator", SimulatorProperties.class);
		if (!properties.enabled() && List.of(environment.getActiveProfiles()).contains(SHORT_PROFILE)) {
			// its minutes-long margins would otherwise apply to real tokens
			throw new InvalidConfigurationException("spring.profiles.active",
					"the '" + SHORT_PROFILE + "' profile shortens the simulated workspace's timings and goes with "
							+ "the 'simulator' profile only: activate both (simulator," + SHORT_PROFILE + ")");
		}
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
		if (!properties.allowRealSettings()) {
			refuseRealSettings(environment, workspaces);
		}
		Map<String, CatalogProperties.Service> services = new java.util.LinkedHashMap<>(
				binder.bind("broker.services", Bindable.mapOf(String.class, CatalogProperties.Service.class))
					.orElse(Map.of()));
		String servicesFile = binder.bind(ServicesFile.PROPERTY, String.class).orElse(null);
		if (StringUtils.hasText(servicesFile)) {
			// the catalog refuses a name in both; the simulator serves either
			ServicesFile.read(servicesFile).forEach(services::putIfAbsent);
		}
		SimulatorLauncher.Settings settings = properties.settings();
		SimulatedWorkspace simulator = SimulatorLauncher.launch(workspaces, services, settings);
		environment.getPropertySources()
			.addFirst(new SimulatorPropertySource(simulator,
					SimulatorLauncher.brokerProperties(simulator, workspaces, settings)));
	}

	/**
	 * Move the simulator profile's own file ({@value #PROFILE_FILE}, with the demo
	 * catalog), and the {@value #SHORT_PROFILE_FILE} above it when that profile is active
	 * too, above the configuration files of Spring Boot's default locations. Spring Boot
	 * ranks a packaged profile file below the operator's {@code application.yml} in the
	 * working directory, whose {@code broker.simulator.enabled: false}, empty catalog and
	 * empty {@code broker.access.rules} would then win; while the catalog was a profile
	 * document inside the operator's file it outranked that file's defaults, and it still
	 * does. Files named by {@code spring.config.additional-location} or
	 * {@code spring.config.location} (a chart's rendered configuration, say), and sources
	 * above the configuration files (command line, environment, test properties), keep
	 * their rank above it.
	 */
	static void rankSimulatorFileFirst(MutablePropertySources sources) {
		PropertySource<?> firstFile = null;
		List<PropertySource<?>> shortFile = new ArrayList<>();
		List<PropertySource<?>> simulatorFile = new ArrayList<>();
		for (PropertySource<?> source : sources) {
			if (!source.getName().startsWith(CONFIG_FILE_PREFIX)) {
				continue;
			}
			if (firstFile == null && DEFAULT_LOCATION.matcher(source.getName()).find()) {
				firstFile = source;
			}
			if (source.getName().contains("class path resource [" + SHORT_PROFILE_FILE + "]")) {
				shortFile.add(source);
			}
			else if (source.getName().contains("class path resource [" + PROFILE_FILE + "]")) {
				simulatorFile.add(source);
			}
		}
		// the short profile's file overrides the simulator's, whichever order the
		// profiles were named in
		List<PropertySource<?>> ranked = new ArrayList<>(shortFile);
		ranked.addAll(simulatorFile);
		if (firstFile == null || ranked.isEmpty()) {
			return;
		}
		// where the highest of the default locations' files is, which may be one of these
		PropertySource<?> below = null;
		boolean afterFirst = false;
		for (PropertySource<?> source : sources) {
			afterFirst |= source == firstFile;
			if (afterFirst && !ranked.contains(source)) {
				below = source;
				break;
			}
		}
		for (PropertySource<?> source : ranked) {
			sources.remove(source.getName());
			if (below != null) {
				sources.addBefore(below.getName(), source);
			}
			else {
				sources.addLast(source);
			}
		}
	}

	/**
	 * The settings that only a real deployment has: the simulator supplies its own
	 * issuers, identity and hosts, so any of these beside it means the profile is active
	 * where it should not be.
	 */
	private static final List<String> REAL_SETTINGS = List.of("broker.access.issuers", "broker.identity.mode",
			"broker.identity.tenant-id", "broker.identity.client-id", "broker.identity.client-secret",
			"broker.identity.client-secret-file", "broker.identity.certificate-path",
			"broker.identity.certificate-password", "broker.identity.token-file", "broker.identity.authority-host",
			"broker.identities");

	private static void refuseRealSettings(ConfigurableEnvironment environment,
			Map<String, CatalogProperties.Workspace> workspaces) {
		for (String name : REAL_SETTINGS) {
			if (isSet(environment, ConfigurationPropertyName.of(name))) {
				throw realSetting(name, "is set");
			}
		}
		String cloud = environment.getProperty(Cloud.PROPERTY);
		if (Cloud.of(cloud) != Cloud.PUBLIC) {
			// the simulated Entra ID issues tokens for the public cloud's resources only
			throw realSetting(Cloud.PROPERTY, "is " + cloud);
		}
		workspaces.forEach((alias, workspace) -> {
			if (!isLoopback(workspace.mmsHost())) {
				throw realSetting("broker.workspaces." + alias + ".mms-host", "points off loopback");
			}
			if (!isLoopback(workspace.armHost())) {
				throw realSetting("broker.workspaces." + alias + ".arm-host", "points off loopback");
			}
		});
	}

	/**
	 * Whether any property source gives the name, or anything under it, a value
	 * (environment variables included); an empty value, such as the operator file's
	 * {@code issuers: []}, sets nothing.
	 */
	private static boolean isSet(ConfigurableEnvironment environment, ConfigurationPropertyName name) {
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (hasValue(source, name)) {
				return true;
			}
			if (source instanceof IterableConfigurationPropertySource iterable && iterable.stream()
				.anyMatch((candidate) -> name.isAncestorOf(candidate) && hasValue(source, candidate))) {
				return true;
			}
		}
		return false;
	}

	private static boolean hasValue(ConfigurationPropertySource source, ConfigurationPropertyName name) {
		ConfigurationProperty property = source.getConfigurationProperty(name);
		return property != null && property.getValue() != null && StringUtils.hasText(property.getValue().toString());
	}

	private static boolean isLoopback(URI host) {
		if (host == null) {
			return true;
		}
		String name = (host.getHost() != null) ? host.getHost().toLowerCase(Locale.ROOT) : "";
		return name.equals("localhost") || name.matches("127(\\.\\d{1,3}){3}") || name.equals("[::1]");
	}

	private static InvalidConfigurationException realSetting(String property, String what) {
		return new InvalidConfigurationException(property, what + ", so this is a real deployment: the simulated "
				+ "workspace refuses to run beside real settings; remove the 'simulator' profile (or this setting, to "
				+ "try the broker on the simulator, or set broker.simulator.allow-real-settings=true to let the "
				+ "simulator override them)");
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
