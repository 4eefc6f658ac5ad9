package com.acme.tokenbroker.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.acme.tokenbroker.support.Http;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The management port serves health, info and Prometheus to anyone who reaches it, and
 * nothing else, even when an operator widens the exposure (issue 11, item 7): a heap dump
 * holds every token, key, client secret and fleet key. Anonymous health shows statuses
 * only, never service names, runway or errors.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = { "management.server.port=0",
		"management.endpoints.web.exposure.include=health,info,prometheus,heapdump,env,configprops,beans,"
				+ "loggers,threaddump,metrics,mappings,caches,scheduledtasks,circuitbreakers,shutdown",
		"management.endpoint.heapdump.access=unrestricted", "management.endpoint.shutdown.access=unrestricted" })
@ActiveProfiles("simulator")
class ManagementPortIntegrationTests {

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalManagementPort
	int managementPort;

	Http management;

	@BeforeEach
	void setUp() {
		this.management = new Http(this.managementPort);
		await().atMost(Duration.ofSeconds(60))
			.until(() -> this.management.get("/actuator/health/readiness", null).status() == 200);
	}

	/** The status only: a heap dump served by mistake is not read into memory. */
	private int status(String method, String path) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + path))
			.timeout(Duration.ofSeconds(30))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.build();
		return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	@ParameterizedTest
	@ValueSource(strings = { "/actuator/heapdump", "/actuator/env", "/actuator/env/broker.fleet.encryption.keys.k1",
			"/actuator/configprops", "/actuator/beans", "/actuator/loggers", "/actuator/threaddump",
			"/actuator/metrics", "/actuator/mappings", "/actuator/caches", "/actuator/scheduledtasks",
			"/actuator/circuitbreakers", "/actuator" })
	void endpointsExposedByConfigurationBeyondHealthInfoAndPrometheusAreRefused(String path) throws Exception {
		assertThat(status("GET", path)).isIn(401, 403);
		Http.Response response = this.management.get(path.equals("/actuator/heapdump") ? "/actuator/env" : path, null);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("type").stringValue()).startsWith("urn:token-broker:problem:");
	}

	@Test
	void writeOperationsOnTheManagementPortAreRefused() throws Exception {
		assertThat(status("POST", "/actuator/shutdown")).isIn(401, 403);
		assertThat(status("POST", "/actuator/loggers/ROOT")).isIn(401, 403);
		assertThat(this.management.get("/actuator/health", null).status()).as("still running").isEqualTo(200);
	}

	@Test
	void healthInfoAndPrometheusAreServedWithoutCredentials() throws Exception {
		assertThat(status("GET", "/actuator/health")).isEqualTo(200);
		assertThat(status("GET", "/actuator/health/liveness")).isEqualTo(200);
		assertThat(status("GET", "/actuator/health/readiness")).isEqualTo(200);
		assertThat(status("GET", "/actuator/info")).isEqualTo(200);
		assertThat(status("GET", "/actuator/prometheus")).isEqualTo(200);
	}

	@Test
	void anonymousHealthShowsNoServiceNamesRunwayOrErrors() {
		for (String path : new String[] { "/actuator/health", "/actuator/health/readiness",
				"/actuator/health/tokens" }) {
			Http.Response health = this.management.get(path, null);

			assertThat(health.status()).as(path).isIn(200, 404);
			assertThat(health.body()).as(path)
				.doesNotContain("fraud-scoring")
				.doesNotContain("churn-model")
				.doesNotContain("recommender")
				.doesNotContain("runway")
				.doesNotContain("lastError")
				.doesNotContain("westeurope")
				.doesNotContain("breakers");
		}
		assertThat(this.management.get("/actuator/health", null).json().get("status").stringValue()).isEqualTo("UP");
	}

}
