package com.acme.tokenbroker.it;

import java.util.ArrayList;
import java.util.List;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A caller's kept-alive connection is not closed after some number of requests (Tomcat's
 * default is 100, and the broker had 1,000): a busy caller on one connection paid a new
 * connection, and the broker Tomcat's per-connection set-up, every 1,000 tokens, and each
 * connection's buffers outlived a few young collections and ended in the old generation
 * as garbage that only a full collection frees (bench/README.md). Idle connections are
 * still closed after {@code keep-alive-timeout}; the chart's standalone mode, behind a
 * Service, renews them every 1,000 requests so new pods get their share.
 */
@SimulatedWorkspaceTest
class KeptAliveConnectionIntegrationTests {

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(MutableClock.startingNow());

	@LocalServerPort
	int port;

	@Test
	void aKeptAliveConnectionServesMoreThanAThousandRequests() {
		List<List<String>> requests = new ArrayList<>();
		for (int i = 0; i < 1200; i++) {
			requests.add(List.of("GET /tokens/v1-weu HTTP/1.1", "Host: localhost"));
		}
		requests.set(requests.size() - 1,
				List.of("GET /tokens/v1-weu HTTP/1.1", "Host: localhost", "Connection: close"));

		List<RawHttp.Response> responses = new RawHttp(this.port).exchange(requests);

		assertThat(responses).hasSize(1200).allSatisfy((response) -> assertThat(response.status()).isEqualTo(401));
		assertThat(responses.subList(0, 1199)).noneSatisfy(
				(response) -> assertThat(String.valueOf(response.header("Connection"))).isEqualToIgnoringCase("close"));
	}

}
