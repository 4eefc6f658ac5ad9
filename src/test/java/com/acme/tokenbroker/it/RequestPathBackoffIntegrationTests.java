package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 1: an authorized caller looping on a service the workspace does not have
 * (404) drives at most a couple of upstream calls, not one per request: the request path
 * obeys the backoff the refresher obeys.
 */
@SimulatedWorkspaceTest(testCatalog = false)
class RequestPathBackoffIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	/** What the simulated workspace has: only "known". */
	static final Map<String, CatalogProperties.Service> UPSTREAM = Map.of("known",
			new CatalogProperties.Service("weu", ServiceKind.WEBSERVICE, null, false, AuthMode.AML_TOKEN));

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, UPSTREAM,
			SimulatedWorkspace.builder());

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		Map<String, CatalogProperties.Service> configured = new LinkedHashMap<>(UPSTREAM);
		configured.put("deleted",
				new CatalogProperties.Service("weu", ServiceKind.WEBSERVICE, null, false, AuthMode.AML_TOKEN));
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, configured);
	}

	@Autowired
	Http api;

	@Test
	void twoThousandRequestsForAServiceTheUpstreamDoesNotKnowMakeAtMostTwoUpstreamCalls() throws Exception {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
		long before = SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN);
		ExecutorService pool = Executors.newFixedThreadPool(16);
		List<Future<Http.Response>> answers = new ArrayList<>();
		try {
			for (int i = 0; i < 2000; i++) {
				answers.add(pool.submit(() -> this.api.get("/tokens/deleted", caller)));
			}
			for (Future<Http.Response> answer : answers) {
				Http.Response response = answer.get(30, TimeUnit.SECONDS);
				assertThat(response.status()).as(response.body()).isEqualTo(503);
				assertThat(response.json().get("type").stringValue())
					.isEqualTo("urn:token-broker:problem:upstream-not-found");
				assertThat(Long.parseLong(response.header("Retry-After"))).isPositive();
			}
		}
		finally {
			pool.shutdownNow();
		}

		assertThat(SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN) - before).isBetween(1L, 2L);
		assertThat(this.api.get("/tokens/known", caller).status()).isEqualTo(200);
	}

}
