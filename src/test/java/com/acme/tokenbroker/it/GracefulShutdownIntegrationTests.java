package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15, item 9: when the broker is told to stop (SIGTERM closes the application
 * context), readiness goes down, new connections are refused, and a request already in
 * flight still gets its token. The broker here is an application of the test's own, which
 * the test closes, on a simulated workspace that holds the in-flight request's upstream
 * call until the test lets it go.
 */
class GracefulShutdownIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	static SimulatedWorkspace simulator;

	static BrokerInstances brokers;

	@BeforeAll
	static void launchTheSimulator() {
		simulator = TestWorkspaces.launch(CLOCK);
		brokers = new BrokerInstances(CLOCK);
	}

	@AfterAll
	static void stop() throws Exception {
		simulator.faults("westeurope", Operation.MMS_TOKEN).clear();
		Closeables.closeAll(brokers, simulator);
	}

	@Test
	void aRequestInFlightCompletesWhileNewConnectionsAreRefusedAndReadinessIsDown() throws Exception {
		Map<String, String> properties = BrokerInstances
			.properties((registry) -> TestWorkspaces.register(registry, simulator));
		// The in-flight request waits for its upstream call as long as the test holds it
		properties.put("broker.tokens.cold-miss-deadline", "30s");
		properties.put("broker.upstream.read-timeout", "30s");
		properties.put("broker.upstream.call-timeout", "30s");
		ConfigurableApplicationContext broker = brokers.start(properties);
		int apiPort = BrokerInstances.port(broker);
		int managementPort = broker.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
		ApplicationAvailability availability = broker.getBean(ApplicationAvailability.class);
		String caller = CallerTokens.app(simulator);
		assertThat(readiness(managementPort)).as("the management port answers before the shutdown").isPositive();
		simulator.faults("westeurope", Operation.MMS_TOKEN).set(Fault.hang());
		long tokenCalls = simulator.callCount("westeurope", Operation.MMS_TOKEN);

		CompletableFuture<Http.Response> inFlight = CompletableFuture.supplyAsync(
				() -> new Http(apiPort).get("/tokens/v1-weu", caller), GracefulShutdownIntegrationTests::thread);
		await().atMost(Duration.ofSeconds(20))
			.until(() -> simulator.callCount("westeurope", Operation.MMS_TOKEN) > tokenCalls);
		CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> brokers.stop(broker),
				GracefulShutdownIntegrationTests::thread);
		await().atMost(Duration.ofSeconds(20)).until(() -> refusesConnections(apiPort));

		assertThat(availability.getReadinessState()).as("readiness while the request is in flight")
			.isEqualTo(ReadinessState.REFUSING_TRAFFIC);
		assertThat(readiness(managementPort)).as("the readiness probe, on the management port still up").isEqualTo(503);
		assertThat(inFlight).as("the request in flight").isNotDone();
		assertThat(stopping).as("the shutdown waits for it").isNotDone();

		simulator.faults("westeurope", Operation.MMS_TOKEN).clear();
		Http.Response response = inFlight.get(20, TimeUnit.SECONDS);

		assertThat(response.status()).as(response::body).isEqualTo(200);
		assertThat(response.json().get("accessToken").stringValue()).isNotBlank();
		stopping.get(20, TimeUnit.SECONDS);
		assertThat(refusesConnections(apiPort)).isTrue();
	}

	/** Both the request and the shutdown block: each on a thread of its own. */
	private static void thread(Runnable runnable) {
		new Thread(runnable, "graceful-shutdown-test").start();
	}

	/** Whether a new TCP connection to the API's port is refused. */
	private static boolean refusesConnections(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** The readiness probe's status, or -1 when its connection is refused. */
	private static int readiness(int managementPort) {
		HttpRequest request = HttpRequest
			.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
			.timeout(Duration.ofSeconds(5))
			.build();
		try {
			return PROBE.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
