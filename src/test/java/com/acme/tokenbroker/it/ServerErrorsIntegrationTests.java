package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.RawHttp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 5: every error is a problem, on the API port and on the management port,
 * including those Tomcat answers before any filter or servlet (its parser, its URL
 * decoder) and paths no endpoint serves. Each is {@code application/problem+json} with
 * the broker's {@code type}, a fixed title and detail, no HTML, no stack trace, and none
 * of the refused input.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "broker.tokens.refresh-check-interval=0" })
@ActiveProfiles("simulator")
// Its configuration is SimulatorWalkthroughIntegrationTests'; the walkthrough counts
// every upstream call of its
// context, so the tokens fetched here must not be in a context it reuses.
@DirtiesContext
class ServerErrorsIntegrationTests {

	private static final String AUDIENCE = "api://token-broker";

	private static final String TYPE = "urn:token-broker:problem:";

	/** More than server.max-http-request-header-size (16KB) in the request head. */
	private static final String FILLER = "f".repeat(17_000);

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	SimulatedWorkspace simulator;

	enum Port {

		API, MANAGEMENT

	}

	/**
	 * A request Tomcat refuses before the broker's code, and the problem it must get.
	 *
	 * @param name what is wrong
	 * @param head the request's head without {@code Connection: close}
	 * @param status the status
	 * @param type the type's slug
	 * @param title the title
	 * @param detail what the detail must say
	 * @param refused what the body must not quote
	 */
	record Refused(String name, List<String> head, int status, String type, String title, String detail,
			String refused) {

		@Override
		public String toString() {
			return this.name;
		}

	}

	static List<Refused> refused() {
		return List.of(
				new Refused("encoded slash", List.of("GET /tokens/a%2Fb HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "encoded slash (%2F)", "a%2Fb"),
				new Refused("encoded NUL", List.of("GET /tokens/a%00b HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "encoded NUL (%00)", "a%00b"),
				new Refused("encoded backslash", List.of("GET /tokens/a%5Cb HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "encoded backslash (%5C)", "a%5Cb"),
				new Refused("backslash", List.of("GET /tokens/a\\b HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "character not allowed in a URL", "a\\b"),
				new Refused("dot segment above the root", List.of("GET /../tokens/x HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "dot segment above the root", "/../"),
				new Refused("header over the limit",
						List.of("GET /tokens/fraud-scoring HTTP/1.1", "Host: localhost", "X-Filler: " + FILLER), 431,
						"request-header-too-large", "Request header too large", "limit of 16384 bytes", "fff"),
				new Refused("request line over the limit", List.of("GET /tokens/" + FILLER + " HTTP/1.1"), 431,
						"request-header-too-large", "Request header too large", "limit of 16384 bytes", "fff"),
				new Refused("invalid method", List.of("G{T /tokens/x HTTP/1.1", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "not a valid HTTP method name", "G{T"),
				new Refused("malformed request line", List.of("GET /tokens/x HTTP/1.1 junk", "Host: localhost"), 400,
						"request-rejected", "Request rejected", "HTTP version is not valid", "junk"),
				new Refused("unsupported HTTP version", List.of("GET /tokens/x HTTP/3.0", "Host: localhost"), 505,
						"http-version-not-supported", "HTTP version not supported", "HTTP version is not supported",
						"3.0"),
				new Refused("no Host header", List.of("GET /tokens/x HTTP/1.1"), 400, "request-rejected",
						"Request rejected", "Host", "/tokens/x"),
				new Refused("TRACE", List.of("TRACE /tokens/x HTTP/1.1", "Host: localhost"), 405, "method-not-allowed",
						"Method not allowed", "method is not allowed", "TRACE"),
				new Refused("CONNECT", List.of("CONNECT localhost:443 HTTP/1.1", "Host: localhost:443"), 501,
						"not-implemented", "Not implemented", "not implemented", "localhost:443"));
	}

	static Stream<Arguments> refusedOnEachPort() {
		List<Arguments> arguments = new ArrayList<>();
		for (Port port : Port.values()) {
			for (Refused refused : refused()) {
				arguments.add(Arguments.of(port, refused));
			}
		}
		return arguments.stream();
	}

	private int port(Port port) {
		return (port == Port.API) ? this.port : this.managementPort;
	}

	private String caller(String subject) {
		return this.simulator.mintCallerToken(subject, AUDIENCE, Map.of("azp", subject), Duration.ofMinutes(10));
	}

	private static JsonNode assertProblem(RawHttp.Response response, int status, String type, String title) {
		String body = response.bodyText();
		assertThat(response.status()).as(body).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.header("Cache-Control")).isEqualTo("no-store");
		assertThat(body).doesNotContain("<")
			.doesNotContain("Tomcat")
			.doesNotContain("Exception")
			.doesNotContain("at org.")
			.doesNotContain("at java.");
		JsonNode json = JsonMapper.shared().readTree(body);
		assertThat(json.get("type").stringValue()).isEqualTo(TYPE + type);
		assertThat(json.get("title").stringValue()).isEqualTo(title);
		assertThat(json.get("status").intValue()).isEqualTo(status);
		return json;
	}

	@ParameterizedTest(name = "{0}: {1}")
	@MethodSource("refusedOnEachPort")
	void requestsTomcatRefusesGetAProblem(Port port, Refused refused) {
		RawHttp.Response response = new RawHttp(port(port)).send(refused.head());

		JsonNode json = assertProblem(response, refused.status(), refused.type(), refused.title());
		assertThat(json.get("detail").stringValue()).contains(refused.detail());
		assertThat(response.bodyText()).doesNotContain(refused.refused());
	}

	/**
	 * A caller with a valid token learns that nothing is served at a path, not which
	 * services exist: the same 404 whatever the name.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "/tokens/fraud-scoring/", "/tokens/no-such-service/", "/tokens/fraud-scoring/status/more",
			"/tokens/fraud-scoring/status/", "/admin/nothing" })
	void pathsNoEndpointServesGetTheNotFoundProblem(String path) {
		Http.Response response = new Http(this.port).get(path, caller("demo-app"));

		assertThat(response.status()).isEqualTo(404);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.json().get("type").stringValue()).isEqualTo(TYPE + "not-found");
		assertThat(response.json().get("title").stringValue()).isEqualTo("Not found");
		assertThat(response.json().get("status").intValue()).isEqualTo(404);
		assertThat(response.json().get("detail").stringValue()).isEqualTo("Nothing is served at this path");
	}

	/**
	 * Without a valid token, a path no endpoint serves gets the same 401 as a served one:
	 * nothing tells an anonymous caller which paths exist.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "/tokens/fraud-scoring/", "/tokens/no-such-service/", "/nothing", "/admin/nothing" })
	void pathsNoEndpointServesGetTheSame401WithoutAToken(String path) {
		Http api = new Http(this.port);
		Http.Response served = api.get("/tokens/fraud-scoring", null);

		Http.Response response = api.get(path, null);

		assertThat(response.status()).isEqualTo(401);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.header("WWW-Authenticate")).isEqualTo(served.header("WWW-Authenticate"));
		for (String member : List.of("type", "title", "status", "detail")) {
			assertThat(response.json().get(member)).as(member).isEqualTo(served.json().get(member));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "/nothing", "/actuator/nothing", "/tokens/fraud-scoring" })
	void pathsTheManagementPortDoesNotServeGetAProblem(String path) {
		RawHttp.Response response = new RawHttp(this.managementPort)
			.send(List.of("GET " + path + " HTTP/1.1", "Host: localhost"));

		String body = response.bodyText();
		assertThat(response.status()).as(body).isBetween(400, 499);
		assertThat(response.header("Content-Type")).as(body).startsWith("application/problem+json");
		assertThat(JsonMapper.shared().readTree(body).get("type").stringValue()).startsWith(TYPE);
	}

}
