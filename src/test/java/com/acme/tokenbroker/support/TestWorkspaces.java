package com.acme.tokenbroker.support;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.SimulatedWorkspaceBuilder;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A two-region catalog and a simulated workspace started by the test itself, so the test
 * owns its clock, its fault switches and its call counts.
 */
public final class TestWorkspaces {

	public static final String SUBSCRIPTION = "11111111-2222-4333-8444-555555555555";

	private TestWorkspaces() {
	}

	public static Map<String, CatalogProperties.Workspace> workspaces() {
		Map<String, CatalogProperties.Workspace> workspaces = new LinkedHashMap<>();
		workspaces.put("weu", new CatalogProperties.Workspace(SUBSCRIPTION, "rg-ml", "ws-weu", "westeurope", null, null,
				"2025-06-01"));
		workspaces.put("eus",
				new CatalogProperties.Workspace(SUBSCRIPTION, "rg-ml", "ws-eus", "eastus", null, null, "2025-06-01"));
		workspaces.put("neu", new CatalogProperties.Workspace(SUBSCRIPTION, "rg-ml", "ws-neu", "northeurope", null,
				null, "2025-06-01"));
		workspaces.put("uks",
				new CatalogProperties.Workspace(SUBSCRIPTION, "rg-ml", "ws-uks", "uksouth", null, null, "2025-06-01"));
		return workspaces;
	}

	/**
	 * @return the westeurope workspace of {@link #workspaces()} alone, under its alias
	 * {@code weu}
	 */
	public static Map<String, CatalogProperties.Workspace> westEurope() {
		return Map.of("weu", workspaces().get("weu"));
	}

	/**
	 * Services named after their kind and region, plus spares for tests that need a
	 * never-fetched service, and services of two regions with a tight request budget
	 * (northeurope: 3 calls an hour) and a bulkhead of one call (uksouth).
	 */
	public static Map<String, CatalogProperties.Service> services() {
		Map<String, CatalogProperties.Service> services = new LinkedHashMap<>();
		services.put("v1-weu", new CatalogProperties.Service("weu", ServiceKind.WEBSERVICE, null, true));
		services.put("v2-weu", new CatalogProperties.Service("weu", ServiceKind.ONLINE_ENDPOINT, "endpoint-weu", true));
		services.put("v1-eus", new CatalogProperties.Service("eus", ServiceKind.WEBSERVICE, null, true));
		for (int i = 1; i <= 12; i++) {
			services.put("spare-" + i, new CatalogProperties.Service((i % 2 == 0) ? "eus" : "weu",
					(i % 3 == 0) ? ServiceKind.ONLINE_ENDPOINT : ServiceKind.WEBSERVICE, null, false));
		}
		for (int i = 1; i <= 6; i++) {
			services.put("budget-" + i,
					new CatalogProperties.Service("neu", ServiceKind.ONLINE_ENDPOINT, null, false, AuthMode.AML_TOKEN));
		}
		for (int i = 1; i <= 2; i++) {
			services.put("bulkhead-" + i, new CatalogProperties.Service("uks", ServiceKind.WEBSERVICE, null, false));
		}
		return services;
	}

	public static SimulatorLauncher.Settings settings() {
		return new SimulatorLauncher.Settings(Duration.ofMinutes(30), Duration.ofHours(12).plusMinutes(30),
				CallerTokens.AUDIENCE, "token-broker");
	}

	public static SimulatedWorkspace launch(MutableClock clock) {
		return launch(clock, workspaces(), services(),
				SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));
	}

	/**
	 * A simulator for a catalog of the test's own, on the test's clock: each service
	 * whose catalog entry names an auth mode (not {@code auto}) is put in that mode.
	 * @param clock the clock the simulator reads
	 * @param workspaces the workspaces by alias
	 * @param services the services by name
	 * @param builder what the test adds (principals, grants, lifetimes)
	 * @return the started simulator
	 */
	public static SimulatedWorkspace launch(MutableClock clock, Map<String, CatalogProperties.Workspace> workspaces,
			Map<String, CatalogProperties.Service> services, SimulatedWorkspaceBuilder builder) {
		SimulatedWorkspace simulator = SimulatorLauncher.launch(workspaces, services, settings(), builder);
		simulator.useClock(clock);
		services.forEach((name, service) -> {
			CatalogProperties.Workspace workspace = workspaces.get(service.workspace());
			if (workspace != null && service.authMode() != AuthMode.AUTO && service.authMode() != AuthMode.AML_TOKEN) {
				String upstreamName = (service.upstreamName() != null) ? service.upstreamName() : name;
				simulator.setAuthMode(workspace.name(), upstreamName,
						com.acme.tokenbroker.simulator.AuthMode.valueOf(service.authMode().name()));
			}
		});
		return simulator;
	}

	/**
	 * Point the broker at the simulator, with the catalog above and a test-driven refresh
	 * schedule.
	 */
	public static void register(DynamicPropertyRegistry registry, SimulatedWorkspace simulator) {
		registerCatalog(registry, simulator, workspaces(), services());
		registry.add("broker.upstream.read-timeout", () -> "3s");
		registry.add("resilience4j.ratelimiter.configs.default.limit-for-period", () -> "10000");
		registry.add("resilience4j.ratelimiter.instances.northeurope.limit-for-period", () -> "3");
		registry.add("resilience4j.ratelimiter.instances.northeurope.limit-refresh-period", () -> "1h");
		registry.add("resilience4j.ratelimiter.instances.northeurope.timeout-duration", () -> "0s");
		registry.add("resilience4j.bulkhead.instances.uksouth.max-concurrent-calls", () -> "1");
		registry.add("resilience4j.bulkhead.instances.uksouth.max-wait-duration", () -> "0s");
	}

	/**
	 * Point the broker at a simulator for the given catalog: workspaces, services, the
	 * simulator's hosts, identity and issuers, a caller {@code app} of the Entra issuer
	 * granted every service, and a refresh schedule the test drives.
	 */
	public static void registerCatalog(DynamicPropertyRegistry registry, SimulatedWorkspace simulator,
			Map<String, CatalogProperties.Workspace> workspaces, Map<String, CatalogProperties.Service> services) {
		workspaces.forEach((alias, workspace) -> {
			String prefix = "broker.workspaces." + alias + ".";
			registry.add(prefix + "subscription-id", workspace::subscriptionId);
			registry.add(prefix + "resource-group", workspace::resourceGroup);
			registry.add(prefix + "name", workspace::name);
			registry.add(prefix + "region", workspace::region);
		});
		services.forEach((name, service) -> {
			String prefix = "broker.services." + name + ".";
			registry.add(prefix + "workspace", service::workspace);
			registry.add(prefix + "kind", () -> service.kind().name());
			if (service.upstreamName() != null) {
				registry.add(prefix + "upstream-name", service::upstreamName);
			}
			registry.add(prefix + "required", () -> Boolean.toString(service.required()));
			registry.add(prefix + "auth-mode", () -> service.authMode().name());
		});
		SimulatorLauncher.brokerProperties(simulator, workspaces, settings())
			.forEach((key, value) -> registry.add(key, () -> value));
		// Two issuers are trusted (Entra and the cluster): every rule names its own
		registry.add("broker.access.rules[0].issuer", simulator::entraIssuer);
		registry.add("broker.access.rules[0].subjects[0]", () -> "app");
		registry.add("broker.access.rules[0].services[0]", () -> "*");
		registry.add("broker.tokens.refresh-check-interval", () -> "0");
		registry.add("broker.tokens.warm-up", () -> "false");
		registry.add("management.server.port", () -> "0");
	}

}
