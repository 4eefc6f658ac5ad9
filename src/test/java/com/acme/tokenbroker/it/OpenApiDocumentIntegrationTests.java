package com.acme.tokenbroker.it;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.token.TokenUnavailableException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document the broker serves at {@code /v3/api-docs} is the one checked in as
 * {@code docs/openapi.yaml} (issue 15, item 1), is served without a caller token, and
 * names every problem type the code answers with. After a change to the API, rewrite the
 * checked-in document with
 * {@code ./mvnw test -Dtest=OpenApiDocumentIntegrationTests -Dopenapi.write=true} and
 * review its diff.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("simulator")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiDocumentIntegrationTests {

	static final Path DOCUMENT = Path.of("docs/openapi.yaml");

	private static final String REGENERATE = "rewrite it with ./mvnw test -Dtest=OpenApiDocumentIntegrationTests "
			+ "-Dopenapi.write=true and review the diff";

	@LocalServerPort
	int port;

	Http api;

	@BeforeEach
	void setUp() {
		this.api = new Http(this.port);
	}

	private String served() throws IOException {
		Http.Response response = this.api.get("/v3/api-docs.yaml", null, "application/vnd.oai.openapi");
		assertThat(response.status()).as("served without a caller token").isEqualTo(200);
		return response.body();
	}

	// First: with -Dopenapi.write=true it rewrites the document the other tests read
	@Test
	@Order(1)
	void theServedDocumentIsTheCheckedInOne() throws IOException {
		String served = served();
		if (Boolean.getBoolean("openapi.write")) {
			Files.writeString(DOCUMENT, served, StandardCharsets.UTF_8);
		}

		assertThat(Files.exists(DOCUMENT)).as(DOCUMENT + " exists; " + REGENERATE).isTrue();
		List<String> differences = new ArrayList<>();
		differences(parse(Files.readString(DOCUMENT)), parse(served), "", differences);
		assertThat(differences).as("where the served document differs from " + DOCUMENT + "; " + REGENERATE).isEmpty();
	}

	@Test
	void theJsonDocumentIsServedWithoutACallerTokenAndIsOpenApi31() {
		Http.Response response = this.api.get("/v3/api-docs", null);

		assertThat(response.status()).isEqualTo(200);
		assertThat(response.json().get("openapi").stringValue()).isEqualTo("3.1.0");
	}

	@Test
	void everyProblemTypeTheCodeAnswersIsDocumentedAndNoOther() throws IOException {
		Map<String, Object> document = parse(Files.readString(DOCUMENT));
		Map<String, Object> problem = map(map(map(document.get("components")).get("schemas")).get("Problem"));
		Set<String> documented = new TreeSet<>(strings(map(map(problem.get("properties")).get("type")).get("enum")));
		Set<String> exampled = new TreeSet<>();
		collectExampleTypes(document.get("paths"), exampled);

		assertThat(documented).as("the Problem schema's type enum in " + DOCUMENT + ", against the code")
			.isEqualTo(problemTypesOfTheCode());
		assertThat(exampled).as("the problem types an example in " + DOCUMENT + " shows").isEqualTo(documented);
	}

	@Test
	void eachProblemExampleHasTheStatusOfItsResponse() throws IOException {
		Map<String, Object> paths = map(parse(Files.readString(DOCUMENT)).get("paths"));
		List<String> mismatches = new ArrayList<>();
		int examples = 0;
		for (Map.Entry<String, Object> path : paths.entrySet()) {
			for (Map.Entry<String, Object> operation : map(path.getValue()).entrySet()) {
				for (Map.Entry<String, Object> response : map(map(operation.getValue()).get("responses")).entrySet()) {
					Object content = map(response.getValue()).get("content");
					Object problem = (content != null) ? map(content).get("application/problem+json") : null;
					if (problem == null) {
						continue;
					}
					for (Map.Entry<String, Object> example : map(map(problem).get("examples")).entrySet()) {
						examples++;
						Object status = map(map(example.getValue()).get("value")).get("status");
						if (!response.getKey().equals("default") && !response.getKey().equals(String.valueOf(status))) {
							mismatches.add(operation.getKey() + " " + path.getKey() + " " + response.getKey() + ": "
									+ example.getKey() + " has status " + status);
						}
					}
				}
			}
		}

		assertThat(examples).isPositive();
		assertThat(mismatches).isEmpty();
	}

	@Test
	void noExampleHoldsATokenOrKeyValue() throws IOException {
		String document = Files.readString(DOCUMENT);

		assertThat(document).doesNotContainPattern("eyJ[A-Za-z0-9_-]{8,}").doesNotContainPattern("[A-Za-z0-9+_]{32,}");
	}

	/**
	 * Every problem type the broker's code can answer: the constants of {@link Problems},
	 * the reasons of {@link TokenUnavailableException}, and the types the key-rotation
	 * endpoints name where they answer.
	 */
	static Set<String> problemTypesOfTheCode() throws IOException {
		Set<String> types = new TreeSet<>();
		for (Field field : Problems.class.getFields()) {
			if (Modifier.isStatic(field.getModifiers()) && field.getType() == URI.class) {
				try {
					types.add(field.get(null).toString());
				}
				catch (IllegalAccessException ex) {
					throw new IllegalStateException(ex);
				}
			}
		}
		for (TokenUnavailableException.Reason reason : TokenUnavailableException.Reason.values()) {
			types.add(Problems.TYPE_PREFIX + reason.slug());
		}
		Pattern named = Pattern.compile("problem\\(HttpStatus\\.[A-Z_]+,\\s*\"([a-z-]+)\"");
		Pattern computed = Pattern.compile("Problems\\.type\\((?!reason\\.slug\\(\\)|slug\\))");
		try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
			for (Path source : sources.filter((path) -> path.toString().endsWith(".java")).toList()) {
				String code = Files.readString(source);
				Matcher matcher = named.matcher(code);
				while (matcher.find()) {
					types.add(Problems.TYPE_PREFIX + matcher.group(1));
				}
				assertThat(computed.matcher(code).find())
					.as(source + " makes a problem type this test does not know; list it here")
					.isFalse();
			}
		}
		return types;
	}

	private static void collectExampleTypes(Object node, Set<String> types) {
		if (node instanceof Map<?, ?> map) {
			Object value = map.get("value");
			if (map.containsKey("summary") && value instanceof Map<?, ?> example && example.get("type") != null) {
				types.add(example.get("type").toString());
			}
			map.values().forEach((child) -> collectExampleTypes(child, types));
		}
		else if (node instanceof Collection<?> list) {
			list.forEach((child) -> collectExampleTypes(child, types));
		}
	}

	/** Where two parsed documents differ, as JSON pointers (at most 20). */
	private static void differences(Object expected, Object actual, String at, List<String> found) {
		if (found.size() >= 20 || java.util.Objects.equals(expected, actual)) {
			return;
		}
		if (expected instanceof Map<?, ?> left && actual instanceof Map<?, ?> right) {
			Set<Object> keys = new java.util.LinkedHashSet<>(left.keySet());
			keys.addAll(right.keySet());
			keys.forEach((key) -> differences(left.get(key), right.get(key),
					at + "/" + key.toString().replace("~", "~0").replace("/", "~1"), found));
		}
		else if (expected instanceof List<?> left && actual instanceof List<?> right && left.size() == right.size()) {
			for (int i = 0; i < left.size(); i++) {
				differences(left.get(i), right.get(i), at + "/" + i, found);
			}
		}
		else {
			found.add(at + ": checked in " + expected + ", served " + actual);
		}
	}

	static Map<String, Object> parse(String yaml) {
		return new Yaml(new LoaderOptions()).load(yaml);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object node) {
		assertThat(node).isInstanceOf(Map.class);
		return (Map<String, Object>) node;
	}

	private static List<String> strings(Object node) {
		assertThat(node).isInstanceOf(List.class);
		List<String> values = new ArrayList<>();
		((List<?>) node).forEach((value) -> values.add(value.toString()));
		return values;
	}

}
