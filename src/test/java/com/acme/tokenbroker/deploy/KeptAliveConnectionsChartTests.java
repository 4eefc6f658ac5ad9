package com.acme.tokenbroker.deploy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kept-alive connections: a standalone broker sits behind a Service, which spreads load
 * per connection, so its connections are renewed every 1,000 requests and new pods get
 * their share. A sidecar (loopback) and a node broker (one endpoint per node) have
 * nothing to spread over and keep the image's default: no limit, idle connections closed
 * after {@code keep-alive-timeout} ({@code KeptAliveConnectionIntegrationTests}).
 */
class KeptAliveConnectionsChartTests {

	@Test
	void onlyTheStandaloneBrokerRenewsItsConnections() {
		for (String scenario : TokenBrokerChart.SCENARIOS) {
			Manifests manifests = TokenBrokerChart.render(scenario);

			assertThat(manifests.applicationConfig().at("/server/tomcat/max-keep-alive-requests").asInt(-1))
				.as(scenario)
				.isEqualTo(scenario.startsWith("standalone") ? 1000 : -1);
		}
	}

}
