package com.acme.tokenbroker.it;

import java.util.List;

import com.acme.tokenbroker.contract.ContractValidator;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.RecordedExchange;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.token.TokenCache;
import io.lettuce.core.resource.ClientResources;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README walk-through, on the embedded default: the {@code simulator} profile of the
 * operator's application.yml, with the broker signing in to the simulated Entra ID with a
 * client secret (azure-identity over HTTPS) and warming its cache at start.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.refresh-check-interval=0" })
@ActiveProfiles("simulator")
class SimulatorWalkthroughIntegrationTests {

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	SimulatedWorkspace simulator;

	@Autowired
	TokenCache cache;

	@Autowired
	ApplicationContext context;

	Http api;

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
		await().until(() -> this.cache.states().iterator().hasNext()
				&& java.util.stream.StreamSupport.stream(this.cache.states().spliterator(), false)
					.allMatch((state) -> state.lastSuccessAt() != null));
	}

	private String callerToken(String subject) {
		Http.Response response = this.api.post("/simulator/caller-tokens?subject=" + subject);
		assertThat(response.status()).isEqualTo(200);
		return response.json().get("accessToken").stringValue();
	}

	@Test
	void fetchingAServiceTokenTwiceReturnsTheSameTokenWithOneUpstreamCall() {
		String caller = callerToken("demo-app");

		Http.Response first = this.api.get("/tokens/fraud-scoring", caller);
		Http.Response second = this.api.get("/tokens/fraud-scoring", caller);

		assertThat(first.status()).isEqualTo(200);
		assertThat(first.header("Content-Type")).startsWith("application/json");
		assertThat(first.header("Cache-Control")).isEqualTo("no-store");
		JsonNode body = first.json();
		assertThat(body.get("service").stringValue()).isEqualTo("fraud-scoring");
		assertThat(body.get("tokenType").stringValue()).isEqualTo("Bearer");
		assertThat(body.get("stale").booleanValue()).isFalse();
		assertThat(body.get("expiresAt").stringValue()).endsWith("Z");
		assertThat(body.get("refreshBy").stringValue()).endsWith("Z");
		assertThat(body.get("fetchedAt").stringValue()).endsWith("Z");
		assertThat(second.json().get("accessToken").stringValue()).isEqualTo(body.get("accessToken").stringValue());
		assertThat(this.simulator.callCount("westeurope", Operation.MMS_TOKEN)).isEqualTo(1);
		assertThat(this.simulator.acceptsServiceToken("ws-demo-weu", "fraud-scoring",
				body.get("accessToken").stringValue()))
			.isTrue();
	}

	@Test
	void withFleetModeOffNoRedisClientIsBuilt() {
		assertThat(this.context.getBeanNamesForType(RedisConnectionFactory.class)).isEmpty();
		assertThat(this.context.getBeanNamesForType(ClientResources.class)).isEmpty();
		assertThat(this.context.getBeanNamesForType(RedisTemplate.class)).isEmpty();
		assertThat(((ConfigurableApplicationContext) this.context).getBeanFactory().containsSingleton("fleetRedis"))
			.as("fleet mode's own Redis context, defined in every configuration, is never made")
			.isFalse();
	}

	@Test
	void onlineEndpointTokensComeFromArmAndWork() {
		String caller = callerToken("demo-app");

		Http.Response response = this.api.get("/tokens/churn-model", caller);

		assertThat(response.status()).isEqualTo(200);
		assertThat(this.simulator.callCount("westeurope", Operation.ARM_TOKEN)).isEqualTo(1);
		assertThat(this.simulator.acceptsServiceToken("ws-demo-weu", "churn-model",
				response.json().get("accessToken").stringValue()))
			.isTrue();
	}

	@Test
	void theBrokersUpstreamRequestsAndTheSimulatorsAnswersConformToMicrosoftsContracts() {
		ContractValidator contracts = ContractValidator.load();
		String caller = callerToken("demo-app");
		assertThat(this.api.get("/tokens/fraud-scoring", caller).status()).isEqualTo(200);
		assertThat(this.api.get("/tokens/churn-model", caller).status()).isEqualTo(200);

		List<RecordedExchange> tokenCalls = this.simulator.exchanges()
			.stream()
			.filter((exchange) -> exchange.operation() == Operation.MMS_TOKEN
					|| exchange.operation() == Operation.ARM_TOKEN)
			.toList();

		assertThat(tokenCalls).extracting(RecordedExchange::operation)
			.contains(Operation.MMS_TOKEN, Operation.ARM_TOKEN);
		for (RecordedExchange exchange : tokenCalls) {
			ContractValidator.Result request = contracts.validateRequest(exchange.method(), exchange.path(),
					exchange.query(), exchange.requestBody());
			ContractValidator.Result response = contracts.validateResponse(exchange.method(), exchange.path(),
					exchange.status(), exchange.responseBody());
			assertThat(request.errors()).as("request " + exchange).isEmpty();
			assertThat(response.errors()).as("response " + exchange).isEmpty();
			assertThat(request.operationId()).isIn("Services_GetServiceToken", "OnlineEndpoints_GetToken");
			assertThat(exchange.requestHeaderNames()).contains("authorization");
		}
	}

	@Test
	void plainTextAcceptReturnsTheBareToken() {
		String caller = callerToken("demo-app");
		String json = this.api.get("/tokens/recommender", caller).json().get("accessToken").stringValue();

		Http.Response plain = this.api.get("/tokens/recommender", caller, "text/plain");

		assertThat(plain.status()).isEqualTo(200);
		assertThat(plain.header("Content-Type")).startsWith("text/plain");
		assertThat(plain.body()).isEqualTo(json);
	}

	@Test
	void listingShowsOnlyGrantedServicesAndNoTokenValues() {
		String caller = callerToken("fraud-app");
		String token = this.api.get("/tokens/fraud-scoring", caller).json().get("accessToken").stringValue();

		Http.Response list = this.api.get("/tokens", caller);

		assertThat(list.status()).isEqualTo(200);
		assertThat(list.json().get("services")).hasSize(1);
		assertThat(list.json().get("services").get(0).get("service").stringValue()).isEqualTo("fraud-scoring");
		assertThat(list.json().get("services").get(0).get("cached").booleanValue()).isTrue();
		assertThat(list.body()).doesNotContain(token);
	}

	@Test
	void metricsAndHealthAreOnTheManagementPortWithoutTokens() {
		String caller = callerToken("demo-app");
		String token = this.api.get("/tokens/fraud-scoring", caller).json().get("accessToken").stringValue();
		Http management = new Http(this.managementPort);

		Http.Response metrics = management.get("/actuator/prometheus", null, "text/plain");
		Http.Response liveness = management.get("/actuator/health/liveness", null);
		Http.Response readiness = management.get("/actuator/health/readiness", null);

		assertThat(metrics.status()).isEqualTo(200);
		assertThat(metrics.body()).contains("broker_token_requests_total{")
			.contains("outcome=\"hit\"")
			.contains("broker_upstream_calls_seconds_count{")
			.contains("broker_token_expiry_seconds{")
			.contains("broker_token_refresh_seconds{")
			.contains("cache_size{")
			.doesNotContain(token);
		assertThat(liveness.status()).isEqualTo(200);
		assertThat(readiness.status()).isEqualTo(200);
		assertThat(this.api.get("/actuator/health", null).status()).isEqualTo(401);
	}

}
