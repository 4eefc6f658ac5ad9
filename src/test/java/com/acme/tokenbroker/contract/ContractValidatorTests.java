package com.acme.tokenbroker.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The contract validator itself: it must accept what the contracts allow and reject what
 * they do not.
 */
class ContractValidatorTests {

	private static final String MMS_SERVICE = "/modelmanagement/v1.0/subscriptions/00000000-1111-2222-3333-444444444444"
			+ "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/services/svc";

	private static final String ARM_ENDPOINT = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg"
			+ "/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep";

	private static final String AUTH_TOKEN = """
			{"accessToken":"eyJ0eXAi","tokenType":"Bearer","expiryOn":1735732800,"refreshAfter":1735689600}""";

	private static final String ENDPOINT_AUTH_TOKEN = """
			{"accessToken":"eyJ0eXAi","tokenType":"Bearer","expiryTimeUtc":1735732800,"refreshAfterTimeUtc":1735689600}""";

	private final ContractValidator validator = ContractValidator.load();

	@Test
	void loadWhenDefaultFolderThenFindsBothContracts() {
		assertThat(this.validator.operationId("POST", MMS_SERVICE + "/token")).isEqualTo("Services_GetServiceToken");
		assertThat(this.validator.operationId("GET", MMS_SERVICE)).isEqualTo("Services_QueryById");
		assertThat(this.validator.operationId("POST", ARM_ENDPOINT + "/token")).isEqualTo("OnlineEndpoints_GetToken");
		assertThat(this.validator.operationId("GET", ARM_ENDPOINT)).isNull();
	}

	@Test
	void operationIdWhenKeyAndOperationPathsThenFindsTheirOperations() {
		String mmsBase = MMS_SERVICE.substring(0, MMS_SERVICE.indexOf("/services/"));

		assertThat(this.validator.operationId("POST", MMS_SERVICE + "/listkeys")).isEqualTo("Services_ListServiceKeys");
		assertThat(this.validator.operationId("POST", MMS_SERVICE + "/regenerateKeys"))
			.isEqualTo("Services_RegenerateServiceKeys");
		assertThat(this.validator.operationId("GET", mmsBase + "/operations/42")).isEqualTo("Operations_Get");
		assertThat(this.validator.operationId("POST", ARM_ENDPOINT + "/listKeys"))
			.isEqualTo("OnlineEndpoints_ListKeys");
		assertThat(this.validator.operationId("POST", ARM_ENDPOINT + "/regenerateKeys"))
			.isEqualTo("OnlineEndpoints_RegenerateKeys");
	}

	/**
	 * The MMS swagger declares {@code keyType} as {@code integer} with the enum names
	 * {@code Primary} and {@code Secondary}, while the SDK sends the names as strings
	 * ({@code contracts/SOURCES.md}, reference §3.7): the validator accepts exactly those
	 * names. It still flags {@code "keyValue": null} (no {@code x-nullable}), so clients
	 * should omit {@code keyValue} rather than send null; the simulator accepts both.
	 */
	@Test
	void validateRequestWhenMmsKeyTypeIsStringEnumNameThenAcceptsItAndRejectsAnythingElse() {
		String path = MMS_SERVICE + "/regenerateKeys";

		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":\"Primary\"}").errors()).isEmpty();
		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":\"Secondary\",\"keyValue\":\"k\"}")
			.errors()).isEmpty();
		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":\"Tertiary\"}").errors())
			.singleElement()
			.asString()
			.startsWith("$.keyType: 'Tertiary' is not one of");
		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":0}").errors()).singleElement()
			.asString()
			.startsWith("$.keyType: '0' is not one of");
		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":true}").errors())
			.containsExactly("$.keyType: expected integer but was boolean");
		assertThat(this.validator.validateRequest("POST", path, null, "{\"keyType\":\"Primary\",\"keyValue\":null}")
			.errors()).containsExactly("$.keyValue: null is not allowed (string)");
		assertThat(this.validator.validateRequest("POST", path, null, "").errors())
			.containsExactly("Required body 'request' is missing");
	}

	@Test
	void validateResponseWhenAsyncOperationStatusThenChecksStateAndTimes() {
		String mmsOperation = MMS_SERVICE.substring(0, MMS_SERVICE.indexOf("/services/")) + "/operations/42";
		String good = "{\"id\":\"42\",\"operationType\":\"RegenerateServiceKeys\",\"state\":\"Failed\","
				+ "\"createdTime\":\"2030-01-01T00:00:00Z\",\"endTime\":\"2030-01-01T00:00:10Z\","
				+ "\"error\":{\"code\":\"InternalServerError\",\"statusCode\":500,\"message\":\"m\",\"details\":[]}}";

		assertThat(this.validator.validateResponse("GET", mmsOperation, 200, good).errors()).isEmpty();
		assertThat(this.validator.validateResponse("GET", mmsOperation, 200, good.replace("Failed", "Done")).errors())
			.singleElement()
			.asString()
			.startsWith("$.state: 'Done' is not one of");
		assertThat(this.validator
			.validateResponse("GET", mmsOperation, 200, good.replace("\"statusCode\":500", "\"statusCode\":\"500\""))
			.errors()).containsExactly("$.error.statusCode: expected integer but was string");
	}

	@Test
	void validateResponseHeadersWhenArmRegenerate202ThenChecksLocationAndRetryAfter() {
		String path = ARM_ENDPOINT + "/regenerateKeys";
		Map<String, List<String>> good = Map.of("location", List.of("https://localhost/op?api-version=2025-06-01"),
				"Retry-After", List.of("10"));

		assertThat(this.validator.validateResponseHeaders("POST", path, 202, good).isValid()).isTrue();
		assertThat(this.validator.validateResponseHeaders("POST", path, 202, Map.of("Retry-After", List.of("10")))
			.errors()).containsExactly("Declared header 'Location' is missing");
		assertThat(this.validator
			.validateResponseHeaders("POST", path, 202, Map.of("Location", List.of("u"), "Retry-After", List.of("5")))
			.errors()).containsExactly("Header 'Retry-After': 5 is below the minimum 10");
		assertThat(this.validator
			.validateResponseHeaders("POST", path, 202,
					Map.of("Location", List.of("u"), "Retry-After", List.of("soon")))
			.errors()).containsExactly("Header 'Retry-After': 'soon' is not an integer");
		assertThat(this.validator.validateResponseHeaders("POST", path, 200, Map.of()).isValid()).isTrue();
		assertThat(this.validator.validateResponseHeaders("POST", path, 201, Map.of()).isValid()).isFalse();
	}

	@Test
	void loadWhenFolderHasNoSwaggerThenFails(@TempDir Path dir) throws IOException {
		Files.writeString(dir.resolve("example.json"), "{\"parameters\":{}}");

		assertThatIllegalStateException().isThrownBy(() -> ContractValidator.load(dir));
	}

	@Test
	void validateResponseWhenBodyMatchesDeclaredStatusThenValid() {
		ContractValidator.Result mms = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 201, AUTH_TOKEN);
		ContractValidator.Result arm = this.validator.validateResponse("POST", ARM_ENDPOINT + "/token", 200,
				ENDPOINT_AUTH_TOKEN);

		assertThat(mms.isValid()).isTrue();
		assertThat(mms.skipped()).isEmpty();
		assertThat(arm.isValid()).isTrue();
	}

	@Test
	void validateResponseWhenMemberHasWrongTypeThenRejects() {
		String stringExpiry = AUTH_TOKEN.replace("1735732800", "\"1735732800\"");
		String fractionalExpiry = ENDPOINT_AUTH_TOKEN.replace("1735732800", "1735732800.5");

		ContractValidator.Result mms = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 201,
				stringExpiry);
		ContractValidator.Result arm = this.validator.validateResponse("POST", ARM_ENDPOINT + "/token", 200,
				fractionalExpiry);

		assertThat(mms.errors()).containsExactly("$.expiryOn: expected integer but was string");
		assertThat(arm.errors()).containsExactly("$.expiryTimeUtc: expected integer but was number");
	}

	@Test
	void validateResponseWhenRequiredMemberMissingThenRejects() {
		String body = "{\"name\":\"svc\",\"description\":\"d\"}";

		ContractValidator.Result result = this.validator.validateResponse("GET", MMS_SERVICE, 200, body);

		assertThat(result.errors()).containsExactly("$: required property 'computeType' is missing");
	}

	@Test
	void validateResponseWhenStatusNotDeclaredThenRejects() {
		ContractValidator.Result mmsAs200 = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 200,
				AUTH_TOKEN);
		ContractValidator.Result armAs201 = this.validator.validateResponse("POST", ARM_ENDPOINT + "/token", 201,
				ENDPOINT_AUTH_TOKEN);
		ContractValidator.Result successAsDefault = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 204,
				"");

		assertThat(mmsAs200.isValid()).isFalse();
		assertThat(mmsAs200.errors().get(0)).startsWith("Status 200 is not declared for Services_GetServiceToken");
		assertThat(armAs201.isValid()).isFalse();
		assertThat(successAsDefault.isValid()).isFalse();
	}

	@Test
	void validateResponseWhenErrorStatusThenDefaultSchemaApplies() {
		String good = "{\"code\":\"NotFound\",\"statusCode\":404,\"message\":\"m\",\"details\":[]}";
		String bad = "{\"code\":\"NotFound\",\"statusCode\":\"404\",\"details\":[{\"code\":5}]}";

		ContractValidator.Result valid = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 404, good);
		ContractValidator.Result invalid = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 404, bad);

		assertThat(valid.isValid()).isTrue();
		assertThat(invalid.errors()).containsExactly("$.statusCode: expected integer but was string",
				"$.details[0].code: expected string but was integer");
	}

	@Test
	void validateResponseWhenDefaultRefersToAnotherFileThenSkipsAndReportsIt() {
		ContractValidator.Result result = this.validator.validateResponse("POST", ARM_ENDPOINT + "/token", 404,
				"{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"m\"}}");

		assertThat(result.isValid()).isTrue();
		assertThat(result.skipped()).singleElement()
			.asString()
			.contains("Unresolved $ref ../../../../../common-types/resource-management/v3/types.json");
	}

	@Test
	void validateResponseWhenAdditionalPropertiesFalseThenRejectsExtraMember() {
		String body = ENDPOINT_AUTH_TOKEN.replace("}", ",\"expiryOn\":1}");

		ContractValidator.Result result = this.validator.validateResponse("POST", ARM_ENDPOINT + "/token", 200, body);

		assertThat(result.errors()).containsExactly("$: property 'expiryOn' is not allowed");
	}

	@Test
	void validateResponseWhenDiscriminatorSelectsAksThenChecksSubtypeMembers() {
		String good = "{\"computeType\":\"AKS\",\"name\":\"svc\",\"numReplicas\":1,\"aadAuthEnabled\":true,"
				+ "\"createdTime\":\"2025-01-01T00:00:00Z\",\"kvTags\":{\"a\":\"b\"}}";
		String badReplicas = good.replace("\"numReplicas\":1", "\"numReplicas\":\"one\"");
		String badTag = good.replace("{\"a\":\"b\"}", "{\"a\":1}");
		String badDate = good.replace("2025-01-01T00:00:00Z", "yesterday");

		assertThat(this.validator.validateResponse("GET", MMS_SERVICE, 200, good).errors()).isEmpty();
		assertThat(this.validator.validateResponse("GET", MMS_SERVICE, 200, badReplicas).errors())
			.containsExactly("$.numReplicas: expected integer but was string");
		assertThat(this.validator.validateResponse("GET", MMS_SERVICE, 200, badTag).errors())
			.containsExactly("$.kvTags.a: expected string but was integer");
		assertThat(this.validator.validateResponse("GET", MMS_SERVICE, 200, badDate).errors())
			.containsExactly("$.createdTime: 'yesterday' is not a date-time");
	}

	@Test
	void validateResponseWhenEnumValueUnknownThenRejects() {
		String body = "{\"computeType\":\"MAINFRAME\",\"name\":\"svc\"}";

		ContractValidator.Result result = this.validator.validateResponse("GET", MMS_SERVICE, 200, body);

		assertThat(result.errors()).singleElement().asString().startsWith("$.computeType: 'MAINFRAME' is not one of");
	}

	@Test
	void validateResponseWhenBodyIsNotJsonThenRejects() {
		ContractValidator.Result result = this.validator.validateResponse("POST", MMS_SERVICE + "/token", 201,
				"<html>oops</html>");

		assertThat(result.errors()).containsExactly("Body is not JSON");
	}

	@Test
	void validateResponseWhenPathOrMethodUnknownThenRejects() {
		assertThat(this.validator.validateResponse("GET", "/nowhere", 200, "{}").errors())
			.containsExactly("No operation declared for GET /nowhere");
		assertThat(this.validator.validateResponse("PUT", MMS_SERVICE + "/token", 201, AUTH_TOKEN).isValid()).isFalse();
	}

	@Test
	void validateRequestWhenArmApiVersionMissingThenRejects() {
		ContractValidator.Result missing = this.validator.validateRequest("POST", ARM_ENDPOINT + "/token", null, "");
		ContractValidator.Result present = this.validator.validateRequest("POST", ARM_ENDPOINT + "/token",
				"api-version=2025-06-01", "");

		assertThat(missing.errors()).containsExactly("Required query parameter 'api-version' is missing");
		assertThat(present.isValid()).isTrue();
	}

	@Test
	void validateRequestWhenBodyViolatesBodySchemaThenRejects() {
		String path = ARM_ENDPOINT + "/regenerateKeys";
		String query = "api-version=2025-06-01";

		assertThat(this.validator.validateRequest("POST", path, query, "{\"keyType\":\"Primary\"}").isValid()).isTrue();
		assertThat(this.validator.validateRequest("POST", path, query, "{\"keyValue\":\"k\"}").errors())
			.containsExactly("$: required property 'keyType' is missing");
		assertThat(this.validator.validateRequest("POST", path, query, "{\"keyType\":\"Tertiary\"}").errors())
			.singleElement()
			.asString()
			.startsWith("$.keyType: 'Tertiary' is not one of");
		assertThat(this.validator.validateRequest("POST", path, query, "").errors())
			.containsExactly("Required body 'body' is missing");
	}

	@Test
	void validateRequestWhenBodySentToBodylessOperationThenRejects() {
		ContractValidator.Result result = this.validator.validateRequest("POST", MMS_SERVICE + "/token", null, "{}");

		assertThat(result.errors()).containsExactly("Services_GetServiceToken declares no body, but one was sent");
	}

	@Test
	void validateWhenSyntheticContractUsesArraysNumbersBooleansAndAllOfThenChecksThem(@TempDir Path dir)
			throws IOException {
		Files.writeString(dir.resolve("tiny.json"), """
				{"swagger":"2.0","info":{"title":"t","version":"1"},
				 "paths":{"/things/{id}":{"get":{"operationId":"Things_Get","parameters":[
				   {"name":"id","in":"path","required":true,"type":"string"},
				   {"name":"expand","in":"query","required":true,"type":"boolean"}],
				   "responses":{"200":{"description":"ok","schema":{"$ref":"#/definitions/Thing"}}}}}},
				 "definitions":{
				   "Base":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}},
				   "Thing":{"allOf":[{"$ref":"#/definitions/Base"}],"type":"object",
				     "properties":{"weight":{"type":"number"},"ok":{"type":"boolean"},
				       "tags":{"type":"array","items":{"type":"string"}},
				       "note":{"type":"string","x-nullable":true}}}}}
				""");
		ContractValidator tiny = ContractValidator.load(dir);

		assertThat(tiny
			.validateResponse("GET", "/things/1", 200,
					"{\"id\":\"1\",\"weight\":1.5,\"ok\":true,\"tags\":[\"a\"],\"note\":null}")
			.errors()).isEmpty();
		assertThat(tiny
			.validateResponse("GET", "/things/1", 200, "{\"weight\":\"heavy\",\"ok\":\"yes\",\"tags\":[1],\"id\":null}")
			.errors()).containsExactlyInAnyOrder("$.id: null is not allowed (string)",
					"$.weight: expected number but was string", "$.ok: expected boolean but was string",
					"$.tags[0]: expected string but was integer");
		assertThat(tiny.validateRequest("GET", "/things/1", "", "").errors())
			.containsExactly("Required query parameter 'expand' is missing");
	}

	/**
	 * The keywords {@link SwaggerDialect} gives their Swagger 2.0 or AutoRest meaning, on
	 * a synthetic contract.
	 */
	@Test
	void validateDefinitionWhenSwaggerKeywordsThenKeepsTheirSwaggerMeaning(@TempDir Path dir) throws IOException {
		Files.writeString(dir.resolve("tiny.json"), """
				{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{},
				 "definitions":{
				   "Pet":{"type":"object","discriminator":"kind","required":["kind"],
				     "properties":{"kind":{"type":"string"},"id":{"type":"string","readOnly":true}}},
				   "Cat":{"allOf":[{"$ref":"#/definitions/Pet"}],"type":"object","additionalProperties":false,
				     "properties":{"lives":{"type":"integer","format":"int32"},
				       "mood":{"type":"string","enum":["calm","cross"],"x-nullable":true},
				       "size":{"type":"string","enum":["s","l"]},
				       "born":{"type":"string","format":"date-time"},
				       "home":{"type":"string","format":"uri"},
				       "owner":{"properties":{"name":{"type":"string"}}},
				       "toys":{"type":"array","uniqueItems":true,"items":{"type":"string"}},
				       "vet":{"$ref":"#/definitions/Missing"},
				       "chip":{"$ref":"other.json#/definitions/Chip"}}},
				   "Dog":{"allOf":[{"$ref":"#/definitions/Pet"}],"x-ms-discriminator-value":"canine","type":"object",
				     "properties":{"good":{"type":"boolean"}}},
				   "Pets":{"type":"array","items":{"$ref":"#/definitions/Pet"}}}}
				""");
		ContractValidator tiny = ContractValidator.load(dir);

		assertThat(tiny.validateDefinition("Pet", """
				{"kind":"Cat","id":"1","lives":9,"mood":null,"born":"2030-01-01T00:00:00Z","home":"not a uri",
				 "owner":{"name":"n"},"toys":["a","b"]}""").errors()).isEmpty();
		assertThat(tiny.validateDefinition("Pet", "{\"kind\":\"Cat\",\"lives\":2147483648,\"size\":null,\"purrs\":1}")
			.errors()).containsExactly("$.lives: 2147483648 is out of int32 range",
					"$.size: null is not allowed (string)", "$: property 'purrs' is not allowed");
		assertThat(tiny.validateDefinition("Pet", "{\"kind\":\"Cat\",\"size\":1,\"owner\":\"n\"}").errors())
			.containsExactly("$.size: expected string but was integer", "$.owner: expected object but was string");
		assertThat(tiny
			.validateDefinition("Pets", "[{\"kind\":\"canine\",\"good\":\"yes\"},{\"kind\":\"Dog\",\"good\":1}]")
			.errors()).containsExactly("$[0].good: expected boolean but was string");
		assertThat(tiny.validateDefinition("Pet", "{\"kind\":\"Cat\",\"vet\":{}}").errors())
			.containsExactly("Unresolvable $ref #/definitions/Missing at $.vet");
		ContractValidator.Result chip = tiny.validateDefinition("Pet", "{\"kind\":\"Cat\",\"chip\":1}");
		assertThat(chip.errors()).isEmpty();
		assertThat(chip.skipped()).containsExactly("Unresolved $ref other.json#/definitions/Chip at $.chip");
		// The hand-written walker ignored the standard keywords it did not know
		// (uniqueItems, minimum, pattern...); the library checks them.
		assertThat(tiny.validateDefinition("Pet", "{\"kind\":\"Cat\",\"toys\":[\"a\",\"a\"]}").errors()).singleElement()
			.asString()
			.startsWith("$.toys: ");
	}

	@Test
	void validateDefinitionWhenNameUnknownThenRejects() {
		assertThat(this.validator.validateDefinition("Nope", "{}").errors())
			.containsExactly("No definition named Nope");
		assertThat(this.validator.validateDefinition("AuthToken", AUTH_TOKEN).isValid()).isTrue();
	}

}
