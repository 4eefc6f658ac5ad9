package com.acme.tokenbroker.it;

import java.util.List;
import java.util.Set;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.RecordedExchange;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorEnvironmentPostProcessor;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.system.StartTasks;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker signs in to Entra ID and loads its trusted issuers' key sets as it starts,
 * so that its first caller waits for neither: on the simulator that first request cost
 * about 0.3 s more than the next one (bench/README.md, "Start"). Warm-up is off here: no
 * service credential is fetched before a caller asks.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.warm-up=false" })
@ActiveProfiles("simulator")
class StartTasksIntegrationTests {

	private static final Set<Operation> PREPARED = Set.of(Operation.ENTRA_TOKEN, Operation.ENTRA_KEYS,
			Operation.CLUSTER_KEYS);

	@LocalServerPort
	int port;

	@Autowired
	StartTasks startTasks;

	@Autowired
	Environment environment;

	@Test
	void theFirstCallerFindsTheSignInAndTheKeySetsDone() throws InterruptedException {
		SimulatedWorkspace simulator = SimulatorEnvironmentPostProcessor.simulator(this.environment).orElseThrow();
		assertThat(this.startTasks.awaitAll(30_000)).isTrue();

		List<Operation> atStart = operations(simulator);
		assertThat(atStart).containsAll(PREPARED).doesNotContain(Operation.MMS_TOKEN, Operation.ARM_TOKEN);

		Http api = new Http(this.port);
		String caller = api.post("/simulator/caller-tokens?subject=demo-app").json().get("accessToken").stringValue();
		assertThat(api.get("/tokens/fraud-scoring", caller).status()).isEqualTo(200);

		List<Operation> all = operations(simulator);
		List<Operation> forTheCaller = all.subList(atStart.size(), all.size());
		assertThat(forTheCaller).isNotEmpty().noneMatch(PREPARED::contains);
	}

	private static List<Operation> operations(SimulatedWorkspace simulator) {
		return simulator.exchanges().stream().map(RecordedExchange::operation).toList();
	}

}
