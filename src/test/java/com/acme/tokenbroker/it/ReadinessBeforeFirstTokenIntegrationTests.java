package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.TokenCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker is not ready before its first token (issue 12, "untested paths"): with the
 * product's warm-up on, the westeurope token endpoint holds the first fetch of a required
 * service unanswered; readiness on the management port is 503 while that token is missing
 * (the other required services' tokens already fetched, an optional service's fetch still
 * held), and 200 once it arrives.
 */
@SimulatedWorkspaceTest(testCatalog = false)
class ReadinessBeforeFirstTokenIntegrationTests {

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = Map.of("weu",
			TestWorkspaces.workspaces().get("weu"), "eus", TestWorkspaces.workspaces().get("eus"));

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.required("held-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.AUTO)
		.required("fast-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.AUTO)
		.required("fast-eus", "eus", ServiceKind.WEBSERVICE, AuthMode.AUTO)
		.add("optional-eus", "eus", ServiceKind.ONLINE_ENDPOINT)
		.build();

	static final SimulatedWorkspace SIMULATOR = launch();

	/** The faults are set before the broker starts, so its warm-up meets them. */
	private static SimulatedWorkspace launch() {
		SimulatedWorkspace simulator = SimulatorLauncher.launch(WORKSPACES, SERVICES, TestWorkspaces.settings(),
				SimulatedWorkspace.builder());
		simulator.faults("westeurope", Operation.MMS_TOKEN).set(Fault.hang());
		simulator.faults("eastus", Operation.ARM_TOKEN).set(Fault.hang());
		return simulator;
	}

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		// The product's start: warm up every service; the held fetch waits for its answer
		// rather than time out
		registry.add("broker.tokens.warm-up", () -> "true");
		registry.add("broker.upstream.read-timeout", () -> "60s");
		registry.add("broker.upstream.call-timeout", () -> "60s");
	}

	@AfterAll
	static void clearFaults() {
		SIMULATOR.faults("westeurope", Operation.MMS_TOKEN).clear();
		SIMULATOR.faults("eastus", Operation.ARM_TOKEN).clear();
	}

	@LocalManagementPort
	int managementPort;

	@Autowired
	TokenCache cache;

	private int readiness() {
		return new Http(this.managementPort).get("/actuator/health/readiness", null).status();
	}

	private boolean hasToken(String service) {
		return this.cache.current(ServiceName.of(service)) != null;
	}

	@Test
	void readinessIs503UntilTheFirstTokenOfEveryRequiredServiceIsFetchedThen200() {
		await().atMost(Duration.ofSeconds(30)).until(() -> hasToken("fast-v2") && hasToken("fast-eus"));
		await().atMost(Duration.ofSeconds(30))
			.until(() -> SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN) >= 1
					&& SIMULATOR.callCount("eastus", Operation.ARM_TOKEN) >= 1);

		assertThat(hasToken("held-v1")).as("the held fetch has not been answered").isFalse();
		assertThat(readiness()).as("a required service has no token yet").isEqualTo(503);
		assertThat(new Http(this.managementPort).get("/actuator/health/liveness", null).status())
			.as("liveness is the process: not restarted for a missing token")
			.isEqualTo(200);

		SIMULATOR.faults("westeurope", Operation.MMS_TOKEN).clear();

		await().atMost(Duration.ofSeconds(30)).until(() -> readiness() == 200);
		assertThat(hasToken("held-v1")).isTrue();
		assertThat(hasToken("optional-eus")).as("an optional service's missing token does not hold readiness")
			.isFalse();
		assertThat(SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN)).as("the held fetch itself was answered")
			.isEqualTo(1);
	}

}
