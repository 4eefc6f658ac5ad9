package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.JsonLogCapture;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.Refreshes;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.TokenCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 2: the lines of one request, on the server's thread and on the fetch
 * thread it starts, carry its request id and trace, in the JSON the broker writes with
 * {@code logging.structured.format.console} (ECS, as the chart sets it, or Logstash); a
 * fetch the scheduler starts carries none.
 */
@SimulatedWorkspaceTest
class RequestContextLoggingIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

	@Autowired
	RawHttp http;

	@Autowired
	TokenCache cache;

	@LocalManagementPort
	int managementPort;

	private JsonLogCapture ecs;

	private JsonLogCapture logstash;

	@BeforeEach
	void capture() {
		this.ecs = JsonLogCapture.of("ROOT", "ecs");
		this.logstash = JsonLogCapture.of("ROOT", "logstash");
	}

	@AfterEach
	void stopCapture() {
		this.ecs.close();
		this.logstash.close();
		SIMULATOR.faults("eastus").clear();
	}

	private RawHttp.Response get(String service, String... headers) {
		List<String> request = new java.util.ArrayList<>(List.of("GET /tokens/" + service + " HTTP/1.1",
				"Host: localhost", "Accept: application/json", "Authorization: Bearer " + CallerTokens.app(SIMULATOR)));
		request.addAll(List.of(headers));
		return this.http.send(request);
	}

	private List<JsonNode> ecsLinesOf(String requestId) {
		return this.ecs.events()
			.stream()
			.filter((event) -> requestId.equals(event.at("/http/request/id").asString(null)))
			.toList();
	}

	private static Set<String> threads(List<JsonNode> events) {
		return events.stream()
			.map((event) -> event.at("/process/thread/name").asString().replaceAll("-\\d+$", ""))
			.collect(Collectors.toSet());
	}

	/**
	 * The management port (probes, metrics) is a Tomcat of its own, in a context of its
	 * own: its answers carry a request id too, a caller's valid one echoed, refusals
	 * included.
	 */
	@Test
	void theManagementPortAnswersWithARequestIdToo() {
		RawHttp management = new RawHttp(this.managementPort);

		RawHttp.Response named = management
			.send(List.of("GET /actuator/health/liveness HTTP/1.1", "Host: localhost", "X-Request-Id: probe-7"));
		RawHttp.Response unnamed = management
			.send(List.of("GET /actuator/health/liveness HTTP/1.1", "Host: localhost"));
		RawHttp.Response missing = management.send(List.of("GET /actuator/nothing HTTP/1.1", "Host: localhost"));

		assertThat(named.status()).isEqualTo(200);
		assertThat(named.header("X-Request-Id")).isEqualTo("probe-7");
		assertThat(unnamed.header("X-Request-Id")).matches("[0-9a-f]{32}");
		assertThat(missing.status()).as("a path it does not serve, refused").isEqualTo(401);
		assertThat(missing.header("X-Request-Id")).matches("[0-9a-f]{32}");
	}

	@Test
	void aColdMissLogsOnTheServersThreadAndTheFetchThreadWithTheRequestsIdAndTrace() {
		RawHttp.Response response = get("spare-1", "X-Request-Id: cold-miss-1", "traceparent: " + TRACEPARENT);

		assertThat(response.status()).isEqualTo(200);
		assertThat(response.header("X-Request-Id")).isEqualTo("cold-miss-1");
		List<JsonNode> lines = ecsLinesOf("cold-miss-1");
		assertThat(threads(lines)).as("the request's threads")
			// Tomcat's pool on Java 17, a virtual thread per request from Java 21
			.anyMatch((thread) -> thread.contains("-exec") || thread.startsWith("tomcat-handler"))
			.anyMatch((thread) -> thread.startsWith("token-fetch-"));
		assertThat(lines).extracting((event) -> event.at("/message").asString())
			.anyMatch((message) -> message.startsWith("Fetched token for service 'spare-1'"));
		assertThat(lines).allSatisfy((event) -> {
			assertThat(event.at("/trace/id").asString()).isEqualTo(TRACE_ID);
			assertThat(event.at("/span/id").asString()).isEqualTo(lines.get(0).at("/span/id").asString());
			assertThat(event.at("/service/name").asString()).isEqualTo("token-broker");
			assertThat(event.at("/ecs/version").asString()).isNotEmpty();
		});
	}

	@Test
	void aFailedColdMissLogsTheUpstreamFailureWithTheRequestIdItAnswers503With() {
		CLOCK.advance(Duration.ofMinutes(6));
		SIMULATOR.faults("eastus").set(Fault.error(503));

		RawHttp.Response response = get("spare-2");

		assertThat(response.status()).isEqualTo(503);
		String requestId = response.header("X-Request-Id");
		assertThat(requestId).matches("[0-9a-f]{32}");
		List<JsonNode> lines = ecsLinesOf(requestId);
		assertThat(lines).as("the upstream failure, logged by the fetch the request started").anySatisfy((event) -> {
			assertThat(event.at("/log/level").asString()).isEqualTo("WARN");
			assertThat(event.at("/message").asString()).contains("spare-2");
			assertThat(event.at("/process/thread/name").asString()).startsWith("token-fetch-");
		});
		assertThat(lines).allSatisfy((event) -> assertThat(event.at("/trace/id").asString())
			.isEqualTo(lines.get(0).at("/trace/id").asString()));
	}

	@Test
	void logstashLinesCarryTheSameFieldsFlat() {
		get("spare-3", "X-Request-Id: logstash-1", "traceparent: " + TRACEPARENT);

		List<JsonNode> lines = this.logstash.events()
			.stream()
			.filter((event) -> "logstash-1".equals(event.path("http.request.id").asString(null)))
			.toList();
		assertThat(lines).isNotEmpty()
			.allSatisfy((event) -> assertThat(event.path("trace.id").asString()).isEqualTo(TRACE_ID));
	}

	@Test
	void aRefreshTheSchedulerStartsCarriesNoRequestsContext() {
		get("spare-5", "X-Request-Id: before-refresh");
		CLOCK.advance(Duration.ofHours(13));

		Refreshes.runDue(this.cache);

		List<JsonNode> fetched = this.ecs.events()
			.stream()
			.filter((event) -> event.at("/message").asString("").startsWith("Fetched token for service 'spare-5'"))
			.toList();
		assertThat(fetched).hasSizeGreaterThanOrEqualTo(2);
		assertThat(fetched.get(0).at("/http/request/id").asString()).isEqualTo("before-refresh");
		assertThat(fetched.get(fetched.size() - 1).has("http")).as("the scheduled refresh").isFalse();
		assertThat(fetched.get(fetched.size() - 1).has("trace")).isFalse();
	}

}
