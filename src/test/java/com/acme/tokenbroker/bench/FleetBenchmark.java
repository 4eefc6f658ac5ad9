package com.acme.tokenbroker.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.Refreshes;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.support.TestWorkspaces;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The fleet figure: upstream calls for N broker instances × M services, cold start and
 * per hour of refreshes, with and without the shared cache. Complete broker instances in
 * one JVM run against the simulated workspace in virtual time (the simulator's tokens ask
 * for a refresh every 30 minutes), so the figures are counts, not timings, and do not
 * depend on the machine's load.
 * <p>
 * Usage:
 * {@code FleetBenchmark --redis-host 127.0.0.1 --redis-port 6379 [--instances 20] [--services 10] [--hours 2]
 * [--out target/bench]}; {@code bench/run} starts a private redis-server and runs it.
 */
public final class FleetBenchmark {

	private FleetBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = new LinkedHashMap<>();
		for (int i = 0; i + 1 < args.length; i += 2) {
			options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
		}
		int instances = Integer.parseInt(options.getOrDefault("instances", "20"));
		int services = Integer.parseInt(options.getOrDefault("services", "10"));
		int hours = Integer.parseInt(options.getOrDefault("hours", "2"));
		String redisHost = options.getOrDefault("redis-host", "127.0.0.1");
		String redisPort = options.getOrDefault("redis-port", "6379");
		Path out = Path.of(options.getOrDefault("out", "target/bench"));

		Map<String, Object> results = new LinkedHashMap<>();
		results.put("instances", instances);
		results.put("services", services);
		results.put("virtual_hours", hours);
		results.put("alone", run(instances, services, hours, null, null));
		results.put("shared", run(instances, services, hours, redisHost, redisPort));
		Files.createDirectories(out);
		Files.writeString(out.resolve("fleet.json"),
				JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(results));
		System.out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(results));
		System.exit(0);
	}

	private static Map<String, Object> run(int instanceCount, int serviceCount, int hours, String redisHost,
			String redisPort) throws Exception {
		MutableClock clock = MutableClock.startingNow();
		Map<String, CatalogProperties.Workspace> workspaces = TestWorkspaces.workspaces();
		Map<String, CatalogProperties.Service> catalog = new LinkedHashMap<>();
		for (int i = 1; i <= serviceCount; i++) {
			catalog.put("svc-" + i, new CatalogProperties.Service((i % 2 == 0) ? "eus" : "weu",
					(i % 3 == 0) ? ServiceKind.ONLINE_ENDPOINT : ServiceKind.WEBSERVICE, null, true));
		}
		SimulatedWorkspace simulator = SimulatorLauncher.launch(workspaces, catalog, TestWorkspaces.settings(),
				SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));
		simulator.useClock(clock);
		Map<String, String> properties = BrokerInstances
			.properties((registry) -> TestWorkspaces.registerCatalog(registry, simulator, workspaces, catalog));
		properties.put("resilience4j.ratelimiter.configs.default.limit-for-period", "10000");
		properties.put("logging.level.root", "WARN");
		properties.put("logging.level.com.acme.tokenbroker", "WARN");
		if (redisHost != null) {
			BrokerInstances.withFleet(properties, "bench-" + UUID.randomUUID(), redisHost, Integer.parseInt(redisPort),
					"k1", Map.of("k1", TestRedis.newEncryptionKey()));
		}
		try (BrokerInstances fleet = new BrokerInstances(clock)) {
			List<ConfigurableApplicationContext> instances = new ArrayList<>();
			for (int i = 0; i < instanceCount; i++) {
				instances.add(fleet.start(properties));
			}
			long[] start = counts(simulator);
			String caller = simulator.mintCallerToken("app", "api://token-broker", Map.of(),
					Duration.ofHours(hours + 1));
			// instances come up one after another, as in a rollout; each asks for all its
			// services at once
			List<Http.Response> cold = new ArrayList<>();
			for (ConfigurableApplicationContext instance : instances) {
				List<CompletableFuture<Http.Response>> requests = new ArrayList<>();
				for (String service : catalog.keySet()) {
					requests.add(CompletableFuture
						.supplyAsync(() -> new Http(BrokerInstances.port(instance)).get("/tokens/" + service, caller)));
				}
				requests.forEach((request) -> cold.add(request.join()));
			}
			List<Http.Response> failed = cold.stream().filter((response) -> response.status() != 200).toList();
			failed.stream()
				.limit(1)
				.forEach((response) -> System.err
					.println("A cold request failed: " + response.status() + " " + response.body()));
			long errors = failed.size();
			long[] afterCold = counts(simulator);
			for (int minute = 1; minute <= hours * 60; minute++) {
				clock.advance(Duration.ofMinutes(1));
				List<Exception> refreshFailures = Refreshes.runDueEverywhere(instances, Duration.ofSeconds(30));
				if (errors == 0 && !refreshFailures.isEmpty()) {
					System.err.println("A refresh failed: " + refreshFailures.get(0));
				}
				errors += refreshFailures.size();
			}
			long[] end = counts(simulator);
			Map<String, Object> result = new LinkedHashMap<>();
			result.put("cold_token_calls", afterCold[0] - start[0]);
			result.put("cold_metadata_calls", afterCold[1] - start[1]);
			result.put("token_calls_per_hour", (double) (end[0] - afterCold[0]) / hours);
			result.put("metadata_calls_per_hour", (double) (end[1] - afterCold[1]) / hours);
			result.put("failed_requests_or_refreshes", errors);
			return result;
		}
		finally {
			simulator.close();
		}
	}

	/** Token calls and metadata reads, every region. */
	private static long[] counts(SimulatedWorkspace simulator) {
		long tokens = 0;
		long metadata = 0;
		for (String region : simulator.regions()) {
			tokens += simulator.callCount(region, Operation.MMS_TOKEN)
					+ simulator.callCount(region, Operation.ARM_TOKEN);
			metadata += simulator.callCount(region, Operation.MMS_GET_SERVICE)
					+ simulator.callCount(region, Operation.ARM_GET_ENDPOINT);
		}
		return new long[] { tokens, metadata };
	}

}
