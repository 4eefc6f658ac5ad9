package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 8: the broker in an IPv6-only pod, as the chart configures it with
 * {@code ipFamily: ipv6}: the API on {@code ::1}, here the management port too, and a
 * caller fetching its token from {@code http://[::1]:<port>}. Skipped where this machine
 * has no IPv6 loopback.
 */
class Ipv6LoopbackIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static SimulatedWorkspace simulator;

	static BrokerInstances brokers;

	static ConfigurableApplicationContext broker;

	@BeforeAll
	static void startTheBrokerOnTheIpv6Loopback() {
		Assumptions.assumeTrue(canBindIpv6Loopback(), "no IPv6 loopback on this machine: ::1 cannot be bound");
		simulator = TestWorkspaces.launch(CLOCK);
		brokers = new BrokerInstances(CLOCK);
		Map<String, String> properties = BrokerInstances
			.properties((registry) -> TestWorkspaces.register(registry, simulator));
		properties.put("server.address", "::1");
		properties.put("management.server.address", "::1");
		broker = brokers.start(properties);
	}

	@AfterAll
	static void stop() throws Exception {
		Closeables.closeAll(brokers, simulator);
	}

	static boolean canBindIpv6Loopback() {
		try (ServerSocket socket = new ServerSocket()) {
			socket.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	@Test
	void aCallerFetchesATokenOverTheIpv6Loopback() {
		Http api = new Http("[::1]", BrokerInstances.port(broker));

		Http.Response response = api.get("/tokens/v1-weu", CallerTokens.app(simulator));

		assertThat(response.status()).as(response::body).isEqualTo(200);
		assertThat(response.json().get("accessToken").stringValue()).isNotBlank();
	}

	@Test
	void probesAnswerOnTheIpv6LoopbackAndNeitherPortListensOnIpv4() {
		int apiPort = BrokerInstances.port(broker);
		int managementPort = broker.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
		Http management = new Http("[::1]", managementPort);

		assertThat(management.get("/actuator/health/liveness", null).status()).isEqualTo(200);
		assertThat(refusesConnections("127.0.0.1", apiPort)).as("the API on 127.0.0.1").isTrue();
		assertThat(refusesConnections("127.0.0.1", managementPort)).as("management on 127.0.0.1").isTrue();
		assertThat(refusesConnections("::1", apiPort)).as("the API on ::1").isFalse();
	}

	private static boolean refusesConnections(String address, int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getByName(address), port), 2000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

}
