package com.acme.tokenbroker.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.tokenbroker.support.SecretLedger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs last (class order): searches the log of the whole test run for every secret the
 * simulated workspaces issued (client secrets, Entra tokens, service tokens, caller
 * tokens, service-account tokens) and for anything shaped like a signed JWT; in its text
 * form and in its JSON form (ECS, as the chart's {@code logFormat: json} writes it).
 */
@Order(Integer.MAX_VALUE)
class LogSecrecyTests {

	private static final Path RUN_LOG = Path.of("target", "test-logs", "test-run.log");

	private static final Path RUN_JSON = Path.of("target", "test-logs", "test-run.json");

	/**
	 * Three base64url segments starting with a JSON header: a JWT, wherever it came from.
	 */
	private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");

	private static final Pattern HEX_32 = Pattern.compile("[0-9a-f]{32}");

	@Test
	void theWholeRunLogsNoIssuedSecretAndNoJwt() throws IOException {
		assertThat(RUN_LOG).exists();
		String log = Files.readString(RUN_LOG, StandardCharsets.UTF_8);
		assertThat(log).as("the run log has content").contains("token");
		assertThat(SecretLedger.secrets()).as("the simulated workspaces issued secrets during the run").isNotEmpty();

		assertNoSecretIn(log);
	}

	/**
	 * The JSON form, as written and with its strings decoded (an escape inside a JSON
	 * string would hide a secret from a search of the raw text).
	 */
	@Test
	void theWholeRunsJsonLogsNoIssuedSecretAndNoJwtEither() throws IOException {
		List<JsonNode> events = events();
		String raw = Files.readString(RUN_JSON, StandardCharsets.UTF_8);
		StringBuilder decoded = new StringBuilder();
		for (JsonNode event : events) {
			appendStrings(event, decoded);
		}
		assertThat(decoded).as("the JSON run log has content").contains("token");
		assertThat(SecretLedger.secrets()).as("the simulated workspaces issued secrets during the run").isNotEmpty();

		assertNoSecretIn(raw);
		assertNoSecretIn(decoded.toString());
	}

	/**
	 * Issue 15, item 2: every line the broker writes on a server thread while it answers
	 * a request names the request and its trace.
	 */
	@Test
	void everyLineTheBrokerWritesWhileAnsweringARequestCarriesItsRequestIdAndTrace() throws IOException {
		List<JsonNode> requestLines = events().stream()
			// Tomcat's pool on Java 17, a virtual thread per request from Java 21
			.filter((event) -> isRequestThread(event.at("/process/thread/name").asString("")))
			.filter((event) -> event.at("/log/logger").asString("").startsWith("com.acme.tokenbroker"))
			.toList();

		assertThat(requestLines).as("the broker's lines on request threads").isNotEmpty();
		assertThat(requestLines).allSatisfy((event) -> {
			assertThat(event.at("/http/request/id").asString("")).as(event.toString()).isNotEmpty();
			assertThat(event.at("/trace/id").asString("")).as(event.toString()).matches(HEX_32);
			assertThat(event.at("/span/id").asString("")).as(event.toString()).matches("[0-9a-f]{16}");
		});
	}

	private static boolean isRequestThread(String name) {
		return name.contains("-exec-") || name.startsWith("tomcat-handler-");
	}

	private static List<JsonNode> events() throws IOException {
		assertThat(RUN_JSON).exists();
		List<String> lines = Files.readAllLines(RUN_JSON, StandardCharsets.UTF_8);
		assertThat(lines).as("the JSON run log has lines").isNotEmpty();
		List<JsonNode> events = new ArrayList<>();
		for (int i = 0; i < lines.size(); i++) {
			try {
				events.add(JsonMapper.shared().readTree(lines.get(i)));
			}
			catch (RuntimeException ex) {
				fail("line " + (i + 1) + " of " + RUN_JSON + " is not one JSON object");
			}
		}
		return events;
	}

	private static void appendStrings(JsonNode node, StringBuilder strings) {
		if (node.isString()) {
			strings.append(node.asString()).append('\n');
		}
		for (JsonNode child : node) {
			appendStrings(child, strings);
		}
	}

	private static void assertNoSecretIn(String log) {
		List<String> leaked = new ArrayList<>();
		for (String secret : SecretLedger.secrets()) {
			if (log.contains(secret)) {
				leaked.add(secret.substring(0, Math.min(6, secret.length())) + "…");
			}
		}
		Matcher jwt = JWT.matcher(log);
		List<String> jwts = new ArrayList<>();
		while (jwt.find()) {
			jwts.add(jwt.group().substring(0, 12) + "…");
		}

		assertThat(leaked).as("issued secrets found in the log").isEmpty();
		assertThat(jwts).as("JWT-shaped strings found in the log").isEmpty();
	}

}
