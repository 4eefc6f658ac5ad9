package com.acme.tokenbroker.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.path.NodePath;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks requests and responses against the Swagger 2.0 contracts in the shared folder
 * ({@code contracts/SOURCES.md}). Loads every {@code *.json} file with a {@code swagger}
 * and a {@code paths} member (so the example files are ignored) from the folder named by
 * the system property {@value #CONTRACTS_DIR_PROPERTY}, by default
 * {@value #DEFAULT_CONTRACTS_DIR} relative to the working directory.
 * <p>
 * This class matches operations and parameters; bodies are checked by networknt's
 * json-schema-validator with {@link SwaggerDialect}, Draft 4 plus the Swagger 2.0 and
 * Azure meanings of {@code type} ({@code x-nullable}), {@code $ref}
 * ({@code discriminator} and {@code x-ms-discriminator-value}),
 * {@code additionalProperties} (inherited properties count as declared) and the
 * {@code date-time} and {@code int32} formats. A {@code $ref} to another file does not
 * resolve here: it is skipped and the skip is reported in {@link Result#skipped()},
 * except the Azure common-types parameters listed in {@link #COMMON_PARAMETERS}, whose
 * meaning is fixed.
 * <p>
 * One deliberate leniency: an {@code integer} whose {@code enum} lists string names (the
 * MMS swagger's {@code RegenerateServiceKeysRequest.keyType},
 * {@code contracts/SOURCES.md}) accepts those names as strings, since the service and its
 * SDK use the names; any other value, integers included, is still rejected.
 */
public final class ContractValidator {

	/** System property naming the contracts folder. */
	public static final String CONTRACTS_DIR_PROPERTY = "contracts.dir";

	/**
	 * Contracts folder used when the property is not set, relative to the project root.
	 */
	public static final String DEFAULT_CONTRACTS_DIR = "../shared/contracts";

	/**
	 * Parameters from {@code common-types/resource-management/v3/types.json} (and the
	 * workspace-name parameter of {@code machineLearningServices.json}) that the ARM
	 * extract references but cannot resolve: name, location and whether required.
	 */
	static final Map<String, Parameter> COMMON_PARAMETERS = Map.of("ApiVersionParameter",
			new Parameter("api-version", "query", true, null), "SubscriptionIdParameter",
			new Parameter("subscriptionId", "path", true, null), "ResourceGroupNameParameter",
			new Parameter("resourceGroupName", "path", true, null), "WorkspaceNameParameter",
			new Parameter("workspaceName", "path", true, null));

	private static final JsonMapper MAPPER = JsonMapper.builder().build();

	private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}/]+)}");

	private final Path directory;

	private final List<Document> documents;

	private final List<OperationSpec> operations;

	private ContractValidator(Path directory, List<Document> documents) {
		this.directory = directory;
		this.documents = documents;
		this.operations = new ArrayList<>();
		for (Document document : documents) {
			JsonNode paths = document.root().get("paths");
			for (Map.Entry<String, JsonNode> path : paths.properties()) {
				for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
					String name = method.getKey().toLowerCase(Locale.ROOT);
					if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(name)) {
						this.operations.add(new OperationSpec(document, path.getKey(), compile(path.getKey()),
								literalSegments(path.getKey()), name.toUpperCase(Locale.ROOT), method.getValue(),
								path.getValue()));
					}
				}
			}
		}
	}

	/**
	 * Load the contracts from {@code -Dcontracts.dir} or {@value #DEFAULT_CONTRACTS_DIR}.
	 * @return the validator
	 */
	public static ContractValidator load() {
		return load(contractsDirectory());
	}

	/**
	 * Return the contracts folder this class loads by default.
	 * @return the folder
	 */
	public static Path contractsDirectory() {
		return Path.of(System.getProperty(CONTRACTS_DIR_PROPERTY, DEFAULT_CONTRACTS_DIR)).toAbsolutePath().normalize();
	}

	/**
	 * Load the contracts from a folder, recursively.
	 * @param directory the folder
	 * @return the validator
	 * @throws IllegalStateException if the folder holds no Swagger 2.0 file
	 */
	public static ContractValidator load(Path directory) {
		List<Document> documents = new ArrayList<>();
		SchemaRegistry registry = SchemaRegistry.withDialect(SwaggerDialect.create());
		try (Stream<Path> files = Files.walk(directory)) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".json")).sorted().toList()) {
				JsonNode root = MAPPER.readTree(Files.readString(file));
				if (root.has("swagger") && root.has("paths")) {
					documents.add(new Document(file, root,
							registry.getSchema(SchemaLocation.of(file.toUri().toString()), root)));
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read contracts from " + directory, ex);
		}
		if (documents.isEmpty()) {
			throw new IllegalStateException("No Swagger 2.0 contract found under " + directory);
		}
		return new ContractValidator(directory, documents);
	}

	/**
	 * Return the folder the contracts were loaded from.
	 * @return the folder
	 */
	public Path directory() {
		return this.directory;
	}

	/**
	 * Return the operation id for a method and a concrete path, if a contract declares
	 * it.
	 * @param method the HTTP method
	 * @param path the path without query
	 * @return the operation id or {@code null}
	 */
	public String operationId(String method, String path) {
		OperationSpec operation = find(method, path);
		return (operation != null) ? operation.operationId() : null;
	}

	/**
	 * Check a response: the status must be declared for the operation ({@code default}
	 * only counts for 4xx and 5xx) and the body must validate against its schema.
	 * @param method the request method
	 * @param path the request path without query
	 * @param status the response status
	 * @param body the response body, may be empty
	 * @return the result
	 */
	public Result validateResponse(String method, String path, int status, String body) {
		return checkDeclaredResponse(method, path, status, (response, context) -> {
			JsonNode schema = response.get("schema");
			if (schema != null) {
				validateBody(context.operation.document(), schema, body, context);
			}
			else if (body != null && !body.isBlank()) {
				context.skipped.add("No schema declared for status " + status + "; body not checked");
			}
		});
	}

	/**
	 * Check the headers of a response against those the contract declares for its status.
	 * Swagger 2.0 has no "required" for headers, so every declared header is treated as
	 * expected (they are what makes a 202 usable); a value must match the header's
	 * {@code type} and, for integers, {@code format: int32}, {@code minimum} and
	 * {@code maximum}. Undeclared headers are ignored.
	 * @param method the request method
	 * @param path the request path without query
	 * @param status the response status
	 * @param headers the response headers, names matched case-insensitively
	 * @return the result
	 */
	public Result validateResponseHeaders(String method, String path, int status, Map<String, List<String>> headers) {
		return checkDeclaredResponse(method, path, status, (response, context) -> {
			JsonNode declared = response.get("headers");
			if (declared == null) {
				return;
			}
			for (Map.Entry<String, JsonNode> header : declared.properties()) {
				String value = headerValue(headers, header.getKey());
				if (value == null) {
					context.errors.add("Declared header '" + header.getKey() + "' is missing");
					continue;
				}
				checkHeader(header.getKey(), header.getValue(), value, context);
			}
		});
	}

	/**
	 * Run a check on the response the contract declares for the status, if it declares
	 * one; otherwise the result carries the errors that say why not.
	 */
	private Result checkDeclaredResponse(String method, String path, int status, BiConsumer<JsonNode, Context> check) {
		Context context = new Context();
		JsonNode response = declaredResponse(method, path, status, context);
		if (response != null) {
			check.accept(response, context);
		}
		return context.result();
	}

	private static String headerValue(Map<String, List<String>> headers, String name) {
		for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
			if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
				return entry.getValue().get(0);
			}
		}
		return null;
	}

	private static void checkHeader(String name, JsonNode schema, String value, Context context) {
		String type = schema.path("type").asString("string");
		if ("integer".equals(type)) {
			long number;
			try {
				number = Long.parseLong(value.trim());
			}
			catch (NumberFormatException ex) {
				context.errors.add("Header '" + name + "': '" + value + "' is not an integer");
				return;
			}
			if ("int32".equals(schema.path("format").asString("")) && number != (int) number) {
				context.errors.add("Header '" + name + "': " + number + " is out of int32 range");
			}
			if (schema.has("minimum") && number < schema.get("minimum").asLong()) {
				context.errors
					.add("Header '" + name + "': " + number + " is below the minimum " + schema.get("minimum"));
			}
			if (schema.has("maximum") && number > schema.get("maximum").asLong()) {
				context.errors
					.add("Header '" + name + "': " + number + " is above the maximum " + schema.get("maximum"));
			}
		}
		else if ("boolean".equals(type) && !"true".equals(value) && !"false".equals(value)) {
			context.errors.add("Header '" + name + "': '" + value + "' is not a boolean");
		}
	}

	/**
	 * @return the operation for the method and path, also kept in the context, or
	 * {@code null} with the error recorded there
	 */
	private OperationSpec declared(String method, String path, Context context) {
		OperationSpec operation = find(method, path);
		if (operation == null) {
			context.errors.add("No operation declared for " + method + " " + path);
		}
		context.operation = operation;
		return operation;
	}

	/**
	 * @return the response the operation for the method and path declares for the status
	 * ({@code default} only counts for 4xx and 5xx), or {@code null} with the error
	 * recorded in the context
	 */
	private JsonNode declaredResponse(String method, String path, int status, Context context) {
		OperationSpec operation = declared(method, path, context);
		if (operation == null) {
			return null;
		}
		JsonNode responses = operation.node().get("responses");
		JsonNode response = responses.get(Integer.toString(status));
		if (response == null && status >= 400) {
			response = responses.get("default");
		}
		if (response == null) {
			context.errors.add("Status " + status + " is not declared for " + operation.operationId() + " (declared: "
					+ responses.propertyNames() + ")");
		}
		return response;
	}

	/**
	 * Check a request: the method and path must match an operation, required query
	 * parameters must be present and the body must match the body parameter's schema.
	 * @param method the request method
	 * @param path the request path without query
	 * @param rawQuery the raw query string, may be {@code null}
	 * @param body the request body, may be empty
	 * @return the result
	 */
	public Result validateRequest(String method, String path, String rawQuery, String body) {
		Context context = new Context();
		OperationSpec operation = declared(method, path, context);
		if (operation == null) {
			return context.result();
		}
		Map<String, String> query = decodeQuery(rawQuery);
		Parameter bodyParameter = null;
		for (Parameter parameter : parameters(operation, context)) {
			if ("query".equals(parameter.in()) && parameter.required() && !query.containsKey(parameter.name())) {
				context.errors.add("Required query parameter '" + parameter.name() + "' is missing");
			}
			if ("body".equals(parameter.in())) {
				bodyParameter = parameter;
			}
		}
		boolean hasBody = body != null && !body.isBlank();
		if (bodyParameter == null) {
			if (hasBody) {
				context.errors.add(operation.operationId() + " declares no body, but one was sent");
			}
		}
		else if (!hasBody) {
			if (bodyParameter.required()) {
				context.errors.add("Required body '" + bodyParameter.name() + "' is missing");
			}
		}
		else {
			validateBody(operation.document(), bodyParameter.schema(), body, context);
		}
		return context.result(operation.operationId());
	}

	/**
	 * Validate a JSON document against a named definition of any loaded contract.
	 * @param definition the definition name, e.g. {@code AuthToken}
	 * @param json the JSON text
	 * @return the result, with the definition name as operation id
	 */
	public Result validateDefinition(String definition, String json) {
		Context context = new Context();
		for (Document document : this.documents) {
			JsonNode definitions = document.root().get("definitions");
			if (definitions != null && definitions.has(definition)) {
				validateBody(document, MAPPER.createObjectNode().put("$ref", "#/definitions/" + definition), json,
						context);
				return context.result(definition);
			}
		}
		context.errors.add("No definition named " + definition);
		return context.result(definition);
	}

	// ---- operations and parameters

	private OperationSpec find(String method, String path) {
		return this.operations.stream()
			.filter((operation) -> operation.method().equalsIgnoreCase(method))
			.filter((operation) -> operation.pattern().matcher(path).matches())
			.max(Comparator.comparingInt(OperationSpec::literalSegments))
			.orElse(null);
	}

	private List<Parameter> parameters(OperationSpec operation, Context context) {
		List<Parameter> result = new ArrayList<>();
		for (JsonNode list : new JsonNode[] { operation.pathItem().get("parameters"),
				operation.node().get("parameters") }) {
			if (list == null) {
				continue;
			}
			for (JsonNode parameter : list.values()) {
				Parameter resolved = resolveParameter(operation.document(), parameter, context);
				if (resolved != null) {
					result.removeIf((existing) -> existing.name().equals(resolved.name())
							&& existing.in().equals(resolved.in()));
					result.add(resolved);
				}
			}
		}
		return result;
	}

	private Parameter resolveParameter(Document document, JsonNode parameter, Context context) {
		JsonNode ref = parameter.get("$ref");
		if (ref == null) {
			return Parameter.of(parameter);
		}
		String target = ref.asString();
		if (target.startsWith("#/parameters/")) {
			JsonNode resolved = document.root().path("parameters").get(target.substring("#/parameters/".length()));
			if (resolved != null) {
				return Parameter.of(resolved);
			}
		}
		String name = target.substring(target.lastIndexOf('/') + 1);
		Parameter common = target.contains("#/parameters/") ? COMMON_PARAMETERS.get(name) : null;
		if (common != null) {
			return common;
		}
		context.skipped.add("Unresolved parameter $ref " + target);
		return null;
	}

	// ---- schema validation

	private void validateBody(Document document, JsonNode schema, String body, Context context) {
		if (body == null || body.isBlank()) {
			context.errors.add("Body is empty but a schema is declared");
			return;
		}
		JsonNode value;
		try {
			value = MAPPER.readTree(body);
		}
		catch (JacksonException ex) {
			context.errors.add("Body is not JSON");
			return;
		}
		Schema root = document.schema();
		// A location without a fragment would make the body schema a document of its own.
		List<Error> errors = root.getSchemaContext()
			.newSchema(root.getSchemaLocation().append("body"), schema, root)
			.validate(value);
		// Swagger tooling checks a value's type first and stops there (null included),
		// where JSON Schema evaluates every keyword: keep only the type error there.
		Set<NodePath> typeFailed = new HashSet<>();
		errors.stream()
			.filter((error) -> "type".equals(error.getKeyword()))
			.forEach((error) -> typeFailed.add(error.getInstanceLocation()));
		for (Error error : errors) {
			String at = jsonPath(error.getInstanceLocation());
			boolean isNull = error.getInstanceNode() != null && error.getInstanceNode().isNull();
			if (SwaggerDialect.SKIPPED.equals(error.getMessageKey())) {
				context.skipped.add(error.getMessage() + " at " + at);
			}
			else if ("$ref".equals(error.getKeyword())) {
				context.errors.add(error.getMessage() + " at " + at);
			}
			else if ("type".equals(error.getKeyword())
					|| !(isNull || typeFailed.contains(error.getInstanceLocation()))) {
				context.errors.add(at + ": " + message(error));
			}
		}
	}

	/**
	 * The walker's wording for the standard keywords the tests and callers match on;
	 * {@link SwaggerDialect}'s keywords word their own errors.
	 */
	private static String message(Error error) {
		JsonNode value = error.getInstanceNode();
		return switch (error.getKeyword()) {
			case "required" -> "required property '" + error.getProperty() + "' is missing";
			case "enum" -> "'" + (value.isString() ? value.stringValue() : value.toString()) + "' is not one of "
					+ error.getSchemaNode();
			default -> error.getMessage();
		};
	}

	private static String jsonPath(NodePath location) {
		StringBuilder path = new StringBuilder("$");
		for (int i = 0; i < location.getNameCount(); i++) {
			Object element = location.getElement(i);
			path.append((element instanceof Number) ? "[" + element + "]" : "." + element);
		}
		return path.toString();
	}

	// ---- helpers

	private static Pattern compile(String template) {
		StringBuilder regex = new StringBuilder("^");
		Matcher matcher = PATH_PARAMETER.matcher(template);
		int last = 0;
		while (matcher.find()) {
			regex.append(Pattern.quote(template.substring(last, matcher.start()))).append("([^/]+)");
			last = matcher.end();
		}
		regex.append(Pattern.quote(template.substring(last))).append("$");
		return Pattern.compile(regex.toString());
	}

	private static int literalSegments(String template) {
		int count = 0;
		for (String segment : template.split("/")) {
			if (!segment.isEmpty() && !segment.startsWith("{")) {
				count++;
			}
		}
		return count;
	}

	private static Map<String, String> decodeQuery(String rawQuery) {
		Map<String, String> query = new LinkedHashMap<>();
		if (rawQuery == null || rawQuery.isEmpty()) {
			return query;
		}
		for (String pair : rawQuery.split("&")) {
			int eq = pair.indexOf('=');
			String name = URLDecoder.decode((eq < 0) ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
			query.putIfAbsent(name, (eq < 0) ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
		}
		return query;
	}

	@Override
	public String toString() {
		return "ContractValidator[" + this.documents.size() + " contract(s), " + this.operations.size()
				+ " operation(s) from " + this.directory + "]";
	}

	/**
	 * The outcome of one check.
	 *
	 * @param operationId the matched operation (or definition), {@code null} if none
	 * @param errors what does not conform; empty when valid
	 * @param skipped what could not be checked, e.g. unresolved external {@code $ref}s
	 */
	public record Result(String operationId, List<String> errors, List<String> skipped) {

		/**
		 * Whether nothing failed (skips do not count as failures).
		 * @return {@code true} when valid
		 */
		public boolean isValid() {
			return this.errors.isEmpty();
		}

	}

	record Parameter(String name, String in, boolean required, JsonNode schema) {

		static Parameter of(JsonNode node) {
			return new Parameter(node.path("name").asString(""), node.path("in").asString(""),
					node.path("required").asBoolean(false), node.get("schema"));
		}

	}

	private record Document(Path file, JsonNode root, Schema schema) {
	}

	private record OperationSpec(Document document, String template, Pattern pattern, int literalSegments,
			String method, JsonNode node, JsonNode pathItem) {

		String operationId() {
			return this.node.path("operationId").asString(this.method + " " + this.template);
		}

	}

	private static final class Context {

		private final List<String> errors = new ArrayList<>();

		private final List<String> skipped = new ArrayList<>();

		/** The operation checked, once found. */
		private OperationSpec operation;

		Result result() {
			return result((this.operation != null) ? this.operation.operationId() : null);
		}

		Result result(String operationId) {
			return new Result(operationId, List.copyOf(this.errors),
					List.copyOf(new ArrayList<>(new java.util.LinkedHashSet<>(this.skipped))));
		}

	}

}
