package com.acme.tokenbroker.contract;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.networknt.schema.ExecutionContext;
import com.networknt.schema.MessageSourceError;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaContext;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.format.Format;
import com.networknt.schema.keyword.AnnotationKeyword;
import com.networknt.schema.keyword.BaseKeywordValidator;
import com.networknt.schema.keyword.FormatValidator;
import com.networknt.schema.keyword.Keyword;
import com.networknt.schema.keyword.KeywordType;
import com.networknt.schema.keyword.KeywordValidator;
import com.networknt.schema.keyword.RefValidator;
import com.networknt.schema.path.NodePath;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.StringNode;

/**
 * The Swagger 2.0 schema object as a networknt {@link Dialect}: Draft 4 (which Swagger
 * 2.0 extends) with the keywords whose meaning Swagger or Azure's AutoRest changes
 * replaced by the {@code Swagger*} keywords below. Every other keyword is the library's;
 * Azure's {@code x-ms-*} extensions, {@code readOnly}, {@code example} and
 * {@code discriminator} (read by {@link SwaggerRef}) are annotations.
 * <p>
 * Messages are those of the walker this dialect replaced, without the location, which
 * {@link ContractValidator} prefixes; an error whose message key is {@link #SKIPPED}
 * reports something that could not be checked rather than a failure.
 */
final class SwaggerDialect {

	/** Message key of the errors that report a skip. */
	static final String SKIPPED = "x-skipped";

	private static final String ID = "https://acme.com/token-broker/swagger-2.0-schema";

	private static final String DEFINITIONS = "#/definitions/";

	private SwaggerDialect() {
	}

	static Dialect create() {
		return Dialect.builder(ID, Dialects.getDraft4())
			.keyword(new SwaggerKeyword("type", SwaggerType::validator))
			.keyword(new SwaggerKeyword("$ref", SwaggerRef::validator))
			.keyword(new SwaggerKeyword("additionalProperties", SwaggerAdditionalProperties::validator))
			.keyword(SwaggerImpliedObject.over(KeywordType.PROPERTIES))
			.keyword(SwaggerImpliedObject.over(KeywordType.REQUIRED))
			// Only the formats the contracts' tooling asserts; others stay annotations.
			.formats(Map::clear)
			.format(new SwaggerFormat("date-time", (value) -> isDateTime(value.stringValue()), JsonNode::isString,
					(value) -> "'" + value.stringValue() + "' is not a date-time"))
			.format(new SwaggerFormat("int32", JsonNode::canConvertToInt, JsonNode::isIntegralNumber,
					(value) -> value + " is out of int32 range"))
			.unknownKeywordFactory((keyword, context) -> new AnnotationKeyword(keyword))
			.build();
	}

	private static boolean isDateTime(String value) {
		try {
			OffsetDateTime.parse(value);
			return true;
		}
		catch (DateTimeParseException ex) {
			return false;
		}
	}

	static String describe(JsonNode value) {
		if (value.isObject()) {
			return "object";
		}
		if (value.isArray()) {
			return "array";
		}
		if (value.isString()) {
			return "string";
		}
		if (value.isIntegralNumber()) {
			return "integer";
		}
		if (value.isNumber()) {
			return "number";
		}
		return value.isBoolean() ? "boolean" : value.getNodeType().toString();
	}

	private static boolean isOfType(JsonNode value, String type) {
		return switch (type) {
			case "object" -> value.isObject();
			case "array" -> value.isArray();
			case "string" -> value.isString();
			case "integer" -> value.isIntegralNumber();
			case "number" -> value.isNumber();
			case "boolean" -> value.isBoolean();
			default -> true;
		};
	}

	private static boolean hasStringEnum(JsonNode schema) {
		JsonNode values = schema.get("enum");
		if (values == null || !values.isArray() || values.isEmpty()) {
			return false;
		}
		for (JsonNode value : values.values()) {
			if (!value.isString()) {
				return false;
			}
		}
		return true;
	}

	/**
	 * A validator whose errors carry a message built here.
	 */
	private abstract static class SwaggerValidator extends BaseKeywordValidator {

		SwaggerValidator(Keyword keyword, JsonNode schemaNode, SchemaLocation location, Schema parent,
				SchemaContext context) {
			super(keyword, schemaNode, location, parent, context);
		}

		void fail(ExecutionContext execution, JsonNode node, NodePath at, String keyword, String message) {
			execution.addError(error().keyword(keyword)
				.instanceNode(node)
				.instanceLocation(at)
				.evaluationPath(execution.getEvaluationPath())
				.messageSupplier(() -> message)
				.build());
		}

	}

	/**
	 * {@code type} with {@code x-nullable} (null passes only where it is {@code true}),
	 * and one leniency: an {@code integer} whose {@code enum} lists names accepts those
	 * names as strings, as the MMS swagger's {@code RegenerateServiceKeysRequest.keyType}
	 * needs ({@code contracts/SOURCES.md}); the enum still checks the name.
	 */
	static final class SwaggerType {

		private SwaggerType() {
		}

		static KeywordValidator validator(Keyword keyword, SchemaLocation location, JsonNode node, Schema parent,
				SchemaContext context) {
			return new TypeValidator(keyword, node, location, parent, context);
		}

		static final class TypeValidator extends SwaggerValidator {

			TypeValidator(Keyword keyword, JsonNode node, SchemaLocation location, Schema parent,
					SchemaContext context) {
				super(keyword, node, location, parent, context);
			}

			@Override
			public void validate(ExecutionContext execution, JsonNode node, JsonNode root, NodePath at) {
				String type = this.schemaNode.asString();
				JsonNode schema = this.parentSchema.getSchemaNode();
				if (node.isNull()) {
					if (!schema.path("x-nullable").asBoolean(false)) {
						fail(execution, node, at, "type", "null is not allowed (" + type + ")");
					}
				}
				else if (!isOfType(node, type)
						&& !("integer".equals(type) && node.isString() && hasStringEnum(schema))) {
					fail(execution, node, at, "type", "expected " + type + " but was " + describe(node));
				}
			}

		}

	}

	/**
	 * {@code properties} or {@code required} in a schema without {@code type}: Swagger
	 * tooling reads the schema as an {@code object}, so a value of another type fails.
	 */
	static final class SwaggerImpliedObject {

		private SwaggerImpliedObject() {
		}

		/**
		 * @return the keyword that replaces {@code standard}
		 */
		static Keyword over(KeywordType standard) {
			return new SwaggerKeyword(standard.getValue(), (keyword, location, node, parent, context) -> {
				KeywordValidator delegate = standard.newValidator(location, node, parent, context);
				JsonNode schema = parent.getSchemaNode();
				if (schema.has("type") || (standard == KeywordType.REQUIRED && schema.has("properties"))) {
					return delegate;
				}
				return implied(keyword, location, parent, context, delegate);
			});
		}

		private static KeywordValidator implied(Keyword keyword, SchemaLocation location, Schema parent,
				SchemaContext context, KeywordValidator delegate) {
			KeywordValidator type = new SwaggerType.TypeValidator(keyword, StringNode.valueOf("object"), location,
					parent, context);
			return new KeywordValidator() {

				@Override
				public void validate(ExecutionContext execution, JsonNode instance, JsonNode root, NodePath at) {
					type.validate(execution, instance, root, at);
					delegate.validate(execution, instance, root, at);
				}

				@Override
				public void preloadSchema() {
					delegate.preloadSchema();
				}

				@Override
				public String getKeyword() {
					return delegate.getKeyword();
				}

				@Override
				public SchemaLocation getSchemaLocation() {
					return location;
				}

			};
		}

	}

	/**
	 * {@code $ref} as AutoRest reads it. A reference into another file is reported as
	 * skipped (the contracts folder holds extracts). A reference to a definition with a
	 * {@code discriminator} checks the value against the definition inheriting from it
	 * whose {@code x-ms-discriminator-value} (or name) equals the discriminator property,
	 * unless the reference is an {@code allOf} member, which is how a subtype includes
	 * its base.
	 */
	static final class SwaggerRef {

		private SwaggerRef() {
		}

		static KeywordValidator validator(Keyword keyword, SchemaLocation location, JsonNode node, Schema parent,
				SchemaContext context) {
			String target = node.asString();
			JsonNode definitions = parent.findSchemaResourceRoot().getSchemaNode().path("definitions");
			String name = target.startsWith(DEFINITIONS) ? target.substring(DEFINITIONS.length()) : null;
			if (name == null || !definitions.has(name)) {
				return new SwaggerValidator(keyword, node, location, parent, context) {
					@Override
					public void validate(ExecutionContext execution, JsonNode instance, JsonNode root, NodePath at) {
						if (name == null) {
							execution.addError(error().messageKey(SKIPPED)
								.instanceLocation(at)
								.messageSupplier(() -> "Unresolved $ref " + target)
								.build());
						}
						else {
							fail(execution, instance, at, "$ref", "Unresolvable $ref " + target);
						}
					}
				};
			}
			Map<String, RefValidator> subtypes = new LinkedHashMap<>();
			JsonNode discriminator = definitions.get(name).get("discriminator");
			NodePath from = parent.getSchemaLocation().getFragment();
			boolean inAllOf = from.getNameCount() >= 2 && "allOf".equals(from.getName(from.getNameCount() - 2));
			if (discriminator != null && !inAllOf) {
				for (Map.Entry<String, JsonNode> candidate : definitions.properties()) {
					String tag = candidate.getValue().path("x-ms-discriminator-value").asString(candidate.getKey());
					if (!candidate.getKey().equals(name) && inherits(definitions, candidate.getValue(), name, 0)) {
						subtypes.putIfAbsent(tag, new RefValidator(location,
								StringNode.valueOf(DEFINITIONS + candidate.getKey()), parent, context));
					}
				}
			}
			RefValidator base = new RefValidator(location, node, parent, context);
			return new SwaggerValidator(keyword, node, location, parent, context) {
				@Override
				public void validate(ExecutionContext execution, JsonNode instance, JsonNode root, NodePath at) {
					RefValidator subtype = (discriminator != null && instance.path(discriminator.asString()).isString())
							? subtypes.get(instance.get(discriminator.asString()).stringValue()) : null;
					((subtype != null) ? subtype : base).validate(execution, instance, root, at);
				}
			};
		}

		private static boolean inherits(JsonNode definitions, JsonNode definition, String base, int depth) {
			if (depth > 64) {
				return false;
			}
			for (JsonNode part : definition.path("allOf").values()) {
				String ref = part.path("$ref").asString("");
				if (ref.startsWith(DEFINITIONS)) {
					String name = ref.substring(DEFINITIONS.length());
					if (name.equals(base) || (definitions.has(name)
							&& inherits(definitions, definitions.get(name), base, depth + 1))) {
						return true;
					}
				}
			}
			return false;
		}

	}

	/**
	 * {@code additionalProperties} where the declared properties include those inherited
	 * through {@code allOf} and {@code $ref}, as AutoRest models them; Draft 4 only
	 * counts the sibling {@code properties}.
	 */
	static final class SwaggerAdditionalProperties {

		private SwaggerAdditionalProperties() {
		}

		static KeywordValidator validator(Keyword keyword, SchemaLocation location, JsonNode node, Schema parent,
				SchemaContext context) {
			Set<String> declared = new HashSet<>();
			collect(parent.findSchemaResourceRoot().getSchemaNode().path("definitions"), parent.getSchemaNode(),
					declared, 0);
			Schema additional = node.isObject() ? context.newSchema(location, node, parent) : null;
			return new SwaggerValidator(keyword, node, location, parent, context) {
				@Override
				public void validate(ExecutionContext execution, JsonNode instance, JsonNode root, NodePath at) {
					if (!instance.isObject()) {
						return;
					}
					for (String name : instance.propertyNames()) {
						if (declared.contains(name)) {
							continue;
						}
						if (node.isBoolean() && !node.booleanValue()) {
							fail(execution, instance, at, "additionalProperties",
									"property '" + name + "' is not allowed");
						}
						else if (additional != null) {
							additional.validate(execution, instance.get(name), root, at.append(name));
						}
					}
				}
			};
		}

		private static void collect(JsonNode definitions, JsonNode schema, Set<String> names, int depth) {
			if (depth > 64) {
				return;
			}
			String ref = schema.path("$ref").asString("");
			if (ref.startsWith(DEFINITIONS) && definitions.has(ref.substring(DEFINITIONS.length()))) {
				collect(definitions, definitions.get(ref.substring(DEFINITIONS.length())), names, depth + 1);
			}
			names.addAll(schema.path("properties").propertyNames());
			for (JsonNode part : schema.path("allOf").values()) {
				collect(definitions, part, names, depth + 1);
			}
		}

	}

	/**
	 * A keyword of this dialect: its name and how it builds its validators.
	 */
	private record SwaggerKeyword(String name, ValidatorFactory factory) implements Keyword {

		@Override
		public KeywordValidator newValidator(SchemaLocation location, JsonNode node, Schema parent,
				SchemaContext context) throws Exception {
			return this.factory.validator(this, location, node, parent, context);
		}

		@Override
		public String getValue() {
			return this.name;
		}

	}

	@FunctionalInterface
	private interface ValidatorFactory {

		KeywordValidator validator(Keyword keyword, SchemaLocation location, JsonNode node, Schema parent,
				SchemaContext context) throws Exception;

	}

	/**
	 * A format that applies to some JSON types and names the failing value.
	 */
	private record SwaggerFormat(String name, java.util.function.Predicate<JsonNode> matches,
			java.util.function.Predicate<JsonNode> appliesTo,
			java.util.function.Function<JsonNode, String> message) implements Format {

		@Override
		public String getName() {
			return this.name;
		}

		@Override
		public void validate(ExecutionContext execution, SchemaContext context, JsonNode node, JsonNode root,
				NodePath at, boolean assertionsEnabled, Supplier<MessageSourceError.Builder> error,
				FormatValidator validator) {
			if (this.appliesTo.test(node) && !this.matches.test(node)) {
				execution.addError(error.get().messageSupplier(() -> this.message.apply(node)).build());
			}
		}

	}

}
