package com.acme.tokenbroker.deploy;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 15, item 6: {@code proxy.*} values become the environment the broker reads its
 * outbound proxy from, with the credentials from a Secret, never from values.
 */
class OutboundProxyChartTests {

	private static Map<String, JsonNode> env(Manifests manifests) {
		JsonNode pod = HelmChartTests.workload(manifests).at("/spec/template/spec");
		Map<String, JsonNode> env = new LinkedHashMap<>();
		Manifests.container(pod, "containers", "token-broker")
			.path("env")
			.forEach((entry) -> env.put(entry.path("name").asString(), entry));
		return env;
	}

	@Test
	void withoutAProxyNoProxyVariableIsRendered() {
		Map<String, JsonNode> env = env(TokenBrokerChart.render("standalone-workload-identity"));

		assertThat(env).doesNotContainKeys("HTTPS_PROXY", "NO_PROXY", "BROKER_UPSTREAM_PROXY_USERNAME",
				"BROKER_UPSTREAM_PROXY_PASSWORD");
	}

	@Test
	void aProxyWithNoProxyAndASecretBecomesTheBrokersEnvironment() {
		Map<String, JsonNode> env = env(
				TokenBrokerChart.render("standalone-workload-identity", Map.of("proxy.url", "http://egress.corp:3128",
						"proxy.noProxy", ".svc.cluster.local", "proxy.existingSecret", "egress-credentials")));

		assertThat(env).as(env.keySet().toString()).containsKey("HTTPS_PROXY");
		assertThat(env.get("HTTPS_PROXY").path("value").asString()).isEqualTo("http://egress.corp:3128");
		assertThat(env.get("NO_PROXY").path("value").asString()).isEqualTo(".svc.cluster.local");
		assertThat(env.get("BROKER_UPSTREAM_PROXY_USERNAME").at("/valueFrom/secretKeyRef/name").asString())
			.isEqualTo("egress-credentials");
		assertThat(env.get("BROKER_UPSTREAM_PROXY_PASSWORD").at("/valueFrom/secretKeyRef/key").asString())
			.isEqualTo("password");
		assertThat(env.get("BROKER_UPSTREAM_PROXY_PASSWORD").has("value")).isFalse();
	}

	@Test
	void aProxyUrlThatIsNotHttpHostAndPortIsRefused() {
		assertThatException().isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity",
				Map.of("proxy.url", "https://egress.corp:3128")));
	}

}
