package com.acme.tokenbroker.upstream;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.principal.PrincipalCredential;
import com.acme.tokenbroker.simulator.AuthMode;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 12, item 4: the wait for an asynchronous key regeneration ends after
 * {@code operation-timeout} on the injected clock, which the injected
 * {@link com.acme.tokenbroker.system.Sleeper} advances, not on the JVM's monotonic time:
 * in virtual time a regeneration that never finishes gives up after exactly the polls
 * that fit.
 */
class AzureMlClientOperationDeadlineTests {

	private static final Map<String, CatalogProperties.Workspace> WORKSPACES = Map.of("weu",
			new CatalogProperties.Workspace(TestWorkspaces.SUBSCRIPTION, "rg-ml", "ws-weu", "westeurope", null, null,
					"2025-06-01"));

	private final MutableClock clock = MutableClock.startingNow();

	private final SimulatedWorkspace simulator = launch();

	private SimulatedWorkspace launch() {
		Map<String, CatalogProperties.Service> services = new LinkedHashMap<>();
		services.put("keys-v1", new CatalogProperties.Service("weu", ServiceKind.WEBSERVICE, null, false));
		SimulatedWorkspace launched = SimulatorLauncher.launch(WORKSPACES, services, TestWorkspaces.settings(),
				SimulatedWorkspace.builder().asyncRegeneration(1_000_000));
		launched.useClock(this.clock);
		launched.setAuthMode("ws-weu", "keys-v1", AuthMode.KEY);
		return launched;
	}

	@AfterEach
	void close() {
		this.simulator.close();
	}

	private String brokerToken(HttpClient http) throws Exception {
		Map<String, Object> properties = SimulatorLauncher.brokerProperties(this.simulator, WORKSPACES,
				TestWorkspaces.settings());
		String form = "grant_type=client_credentials&scope="
				+ URLEncoder.encode("https://management.azure.com/.default", StandardCharsets.UTF_8) + "&client_id="
				+ properties.get("broker.identity.client-id") + "&client_secret="
				+ URLEncoder.encode((String) properties.get("broker.identity.client-secret"), StandardCharsets.UTF_8);
		HttpResponse<String> response = http.send(HttpRequest
			.newBuilder(this.simulator.authorityHost().resolve("/" + this.simulator.tenantId() + "/oauth2/v2.0/token"))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JsonMapper.shared().readTree(response.body()).get("access_token").stringValue();
	}

	@Test
	void regenerateKeyWhenTheOperationNeverFinishesThenGivesUpAfterTheOperationTimeoutOnTheInjectedClock()
			throws Exception {
		HttpClient http = HttpClient.newBuilder().sslContext(this.simulator.clientSslContext()).build();
		String bearer = brokerToken(http);
		PrincipalCredential principal = () -> bearer;
		UpstreamProperties properties = new UpstreamProperties(Duration.ofSeconds(10), Duration.ofSeconds(15),
				DataSize.ofKilobytes(64), Duration.ofSeconds(5), Duration.ofMinutes(10));
		Map<String, CatalogProperties.Workspace> hosts = new LinkedHashMap<>();
		URI endpoint = this.simulator.regionEndpoint("westeurope");
		hosts.put("weu", new CatalogProperties.Workspace(TestWorkspaces.SUBSCRIPTION, "rg-ml", "ws-weu", "westeurope",
				endpoint, endpoint, "2025-06-01"));
		ServiceDescriptor service = new ServiceCatalog(new CatalogProperties(hosts,
				Map.of("keys-v1", new CatalogProperties.Service("weu", ServiceKind.WEBSERVICE, null, false))))
			.find(ServiceName.of("keys-v1"))
			.orElseThrow();
		AzureMlClient client = new AzureMlClient(new UpstreamHttp(http, properties, (identity) -> principal,
				JsonMapper.shared(), this.clock, io.micrometer.core.instrument.Clock.SYSTEM),
				new TokenResponseReader(this.clock),
				new RegionGuard(new CircuitBreakers(CircuitBreakerRegistry.ofDefaults(), this.clock),
						BulkheadRegistry.ofDefaults(), RateLimiterRegistry.ofDefaults(), SharedBudget.NONE,
						new SimpleMeterRegistry()),
				new SimpleMeterRegistry(), this.clock::advance, properties, this.clock);

		assertTimeoutPreemptively(Duration.ofSeconds(30),
				() -> assertThatExceptionOfType(UpstreamException.class)
					.isThrownBy(() -> client.regenerateKey(service, KeySlot.SECONDARY))
					.satisfies((ex) -> assertThat(ex.getKind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE))
					.withMessageContaining("did not finish within PT10M"));
		assertThat(this.simulator.callCount("westeurope", Operation.MMS_GET_OPERATION))
			.as("polls every 5 s for 10 minutes of virtual time")
			.isBetween(119L, 121L);
	}

}
