package com.acme.tokenbroker.catalog;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link ServicesFile}: the names, values and defaults of {@code broker.services}, and a
 * precise error naming {@code broker.services-file} for anything else.
 */
class ServicesFileTests {

	@TempDir
	Path directory;

	private String file(String content) throws IOException {
		return Files.writeString(this.directory.resolve("services.yml"), content).toString();
	}

	private InvalidConfigurationException refused(String content) throws IOException {
		String file = file(content);
		try {
			ServicesFile.read(file);
		}
		catch (InvalidConfigurationException ex) {
			assertThat(ex.getProperty()).isEqualTo(ServicesFile.PROPERTY);
			assertThat(ex.getMessage()).startsWith(ServicesFile.PROPERTY + ": " + file + " ");
			return ex;
		}
		throw new AssertionError("accepted: " + content);
	}

	@Test
	void readWhenEveryPropertyThenBoundAsBrokerServicesInTheFilesOrder() throws IOException {
		Map<String, CatalogProperties.Service> services = ServicesFile.read(file("""
				services:
				  zeta:
				    workspace: w
				  Alpha.v2_eu:
				    workspace: w
				    kind: online-endpoint
				    upstream-name: alpha-endpoint
				    required: false
				    authMode: aad-token
				    identity: scoring
				  mid:
				    workspace: w
				    auth_mode: KEY
				"""));

		assertThat(services).containsOnlyKeys("zeta", "Alpha.v2_eu", "mid");
		assertThat(services.keySet()).containsExactly("zeta", "Alpha.v2_eu", "mid");
		assertThat(services.get("zeta"))
			.isEqualTo(new CatalogProperties.Service("w", ServiceKind.WEBSERVICE, null, true, AuthMode.AUTO, null));
		assertThat(services.get("Alpha.v2_eu")).isEqualTo(new CatalogProperties.Service("w",
				ServiceKind.ONLINE_ENDPOINT, "alpha-endpoint", false, AuthMode.AAD_TOKEN, "scoring"));
		assertThat(services.get("mid").authMode()).isEqualTo(AuthMode.KEY);
	}

	/**
	 * A guard against a hang, not a speed measure: one binder over the whole file took
	 * about two minutes for 10,000 services (each lookup scanned every property).
	 */
	@Test
	@Timeout(60)
	void readWhenTwentyThousandServicesThenEachRead() throws IOException {
		StringBuilder yaml = new StringBuilder("services:\n");
		for (int i = 0; i < 20_000; i++) {
			yaml.append("  svc-").append(i).append(":\n    workspace: w\n    required: false\n");
		}
		Map<String, CatalogProperties.Service> services = ServicesFile.read(file(yaml.toString()));
		assertThat(services).hasSize(20_000);
		assertThat(services.get("svc-19999").required()).isFalse();
	}

	@Test
	void readWhenJsonThenReadAsYaml() throws IOException {
		assertThat(ServicesFile.read(file("{\"services\": {\"s1\": {\"workspace\": \"w\", \"required\": false}}}")))
			.containsEntry("s1", new CatalogProperties.Service("w", ServiceKind.WEBSERVICE, null, false));
	}

	@Test
	void readWhenFilePrefixedOrEmptyThenNoServices() throws IOException {
		assertThat(ServicesFile.read("file:" + file(""))).isEmpty();
		assertThat(ServicesFile.read(file("services:\n"))).isEmpty();
	}

	@Test
	void readWhenMisspelledPropertiesThenEachNamed() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace: w\n    requried: false\n    kindd: webservice\n"))
			.hasMessageEndingWith("unknown properties 'a.kindd', 'a.requried'");
	}

	@Test
	void readWhenValueOfNoKindThenSaysWhatItMayBe() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace: w\n    kind: lambda\n"))
			.hasMessageEndingWith("'a.kind' must be one of webservice, online-endpoint");
		assertThat(refused("services:\n  a:\n    workspace: w\n    auth-mode: basic\n"))
			.hasMessageEndingWith("'a.auth-mode' must be one of auto, aml-token, key, aad-token");
	}

	@Test
	void readWhenNestedOrListedValueThenRefused() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace:\n      name: w\n"))
			.hasMessageEndingWith("'a.workspace' must be a single value");
		assertThat(refused("services:\n  a:\n    workspace: w\n    identity: [x, y]\n"))
			.hasMessageEndingWith("'a.identity' must be a single value");
		// a map under a key the binder would read as no name at all hid its values
		assertThat(refused("services:\n  a:\n    \"#\": {workspace: x}\n"))
			.hasMessageContaining("has the property '#', which is no property's name");
		assertThat(refused("services:\n  a:\n    workspace: w\n    <<: {workspace: x}\n"))
			.hasMessageContaining("has the property '<<', which is no property's name");
	}

	@Test
	void readWhenDeeplyNestedThenRefusedWithoutRecursion() throws IOException {
		String deep = "{a: ".repeat(5000) + "1" + "}".repeat(5000);
		assertThat(refused("services:\n  a:\n    workspace: " + deep + "\n"))
			.hasMessageEndingWith("'a.workspace' must be a single value");
	}

	@Test
	void readWhenOneNameSpelledTwoWaysThenRefused() throws IOException {
		// the binder would take one of the two without a word
		assertThat(refused("services:\n  a:\n    workspace: w\n    auth-mode: key\n    authMode: aad-token\n"))
			.hasMessageEndingWith("'a.authMode' is there twice");
		assertThat(refused("services:\n  a:\n    workspace: w\n    Identity: admin\n    IDENTITY: low\n"))
			.hasMessageEndingWith("'a.IDENTITY' is there twice");
		assertThat(refused("services:\n  a:\n    workspace: w\n    work_space: v\n"))
			.hasMessageEndingWith("'a.work_space' is there twice");
	}

	@Test
	void readWhenPlaceholderOrTagThenRefused() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace: ${WS}\n"))
			.hasMessageEndingWith("'a.workspace' has a ${...} placeholder, which a services file does not resolve");
		assertThat(refused("services:\n  a:\n    workspace: !!binary aGVsbG8=\n"))
			.hasMessageEndingWith("uses YAML tags, which a services file may not");
		assertThat(refused("services: !custom\n  a:\n    workspace: w\n"))
			.hasMessageEndingWith("uses YAML tags, which a services file may not");
		assertThat(refused("services:\n  ~:\n    workspace: w\n")).hasMessageEndingWith("has an empty (null) key");
	}

	@Test
	void readWhenSyntaxErrorThenTheProblemAndWhere() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace: w\n   kind: webservice\n"))
			.hasMessageContaining("is not valid YAML: ")
			.hasMessageEndingWith("(line 4, column 4)");
		assertThat(refused("services:\n  a:\n    workspace: \"w\n")).hasMessageContaining("is not valid YAML: ")
			.hasMessageContaining("(line ")
			.hasMessageNotContaining("\n");
	}

	@Test
	void readWhenRootKeyHasControlCharactersThenShownOnOneLine() throws IOException {
		assertThat(refused("\"a\\nb\": {}\n")).hasMessageContaining("has the key 'a?b'").hasMessageNotContaining("\n");
		assertThat(refused("x".repeat(200) + ": {}\n")).hasMessageContaining("x".repeat(80) + "...'");
	}

	@Test
	void readWhenNotAFileThenSaysWhatItIs() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> ServicesFile.read(this.directory.toString()))
			.withMessageEndingWith("is a directory, not a file");
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> ServicesFile.read("classpath:services.yml"))
			.withMessage("broker.services-file: classpath:services.yml is not a file path (a services file is read "
					+ "from the file system)");
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> ServicesFile.read("services\u0000.yml"))
			.withMessage("broker.services-file: services?.yml is not a file path");
	}

	@Test
	void readWhenNotAMapOfServicesThenSaysWhatItMustBe() throws IOException {
		assertThat(refused("- a\n- b\n")).hasMessageEndingWith("must be a map with the key 'services'");
		assertThat(refused("broker:\n  services: {}\n")).hasMessageContaining("has the key 'broker'");
		assertThat(refused("services: [a, b]\n")).hasMessageEndingWith("'services' must be a map of services by name");
		assertThat(refused("services:\n  a: w\n")).hasMessageContaining("service 'a' must be a map of its properties");
		assertThat(refused("services:\n  a: {}\n")).hasMessageEndingWith("service 'a': workspace is required");
	}

	@Test
	void readWhenHostileNameThenRefusedBeforeBinding() throws IOException {
		for (String name : new String[] { "'../etc'", "'a]b'", "'a[0]'", "'sp ace'", "''", "-lead" }) {
			assertThat(refused("services:\n  " + name + ":\n    workspace: w\n")).as(name)
				.hasMessageContaining("service names are 1 to 64");
		}
	}

	@Test
	void readWhenDuplicateServicePropertyOrKeyThenRefused() throws IOException {
		assertThat(refused("services:\n  a:\n    workspace: w\n  a:\n    workspace: v\n"))
			.hasMessageEndingWith("service 'a' is there twice");
		assertThat(refused("services:\n  a:\n    workspace: w\n    workspace: v\n"))
			.hasMessageEndingWith("'a.workspace' is there twice");
		assertThat(refused("services:\n  a:\n    workspace: w\nservices: {}\n"))
			.hasMessageEndingWith("has the key 'services' twice");
	}

	@Test
	void readWhenAnchorsOrAliasesOrManyDocumentsThenRefused() throws IOException {
		// aliases would let a small file expand into a huge one
		assertThat(refused("services:\n  a: &s\n    workspace: w\n  b: *s\n"))
			.hasMessageEndingWith("uses YAML anchors or aliases, which a services file may not");
		assertThat(refused("services:\n  a:\n    workspace: w\n---\nservices: {}\n"))
			.hasMessageEndingWith("holds more than one YAML document");
		assertThat(refused("services:\n  ? [a, b]\n  : {workspace: w}\n"))
			.hasMessageEndingWith("has a key that is not a plain name");
	}

	@Test
	void readWhenNullValuesThenNoServicesOrEmptyProperty() throws IOException {
		assertThat(ServicesFile.read(file("services: ~\n"))).isEmpty();
		assertThat(ServicesFile.read(file("~\n"))).isEmpty();
		assertThat(
				ServicesFile.read(file("services:\n  a:\n    workspace: w\n    identity: null\n")).get("a").identity())
			.isEmpty();
		// quoted, "null" is a name
		assertThat(ServicesFile.read(file("services:\n  a:\n    workspace: 'null'\n")).get("a").workspace())
			.isEqualTo("null");
	}

	@Test
	void readWhenMissingOrNotYamlThenSaysSoWithoutTheContent() throws IOException {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> ServicesFile.read(this.directory.resolve("absent.yml").toString()))
			.withMessageContaining("cannot be read (NoSuchFileException)");
		assertThat(refused("services:\n  a:\n    workspace: \"secret-looking\n"))
			.hasMessageContaining("is not valid YAML")
			.hasMessageNotContaining("\n");
	}

	@Test
	void catalogWhenFileAndEnvironmentNameTheSameServiceThenRefused() throws IOException {
		String file = file("services:\n  a:\n    workspace: w\n");
		Map<String, CatalogProperties.Workspace> workspaces = Map.of("w",
				new CatalogProperties.Workspace("sub-1", "rg-1", "ws-1", "westeurope", null, null, "2025-06-01"));
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> new ServiceCatalog(new CatalogProperties(workspaces,
					Map.of("a", new CatalogProperties.Service("w", ServiceKind.WEBSERVICE, null, true)), null, file)))
			.withMessage("broker.services-file: " + file + " service 'a' is also configured under broker.services");
	}

	@Test
	void catalogWhenFileServiceIsInconsistentThenNamesTheFileAndTheService() throws IOException {
		String file = file("services:\n  a:\n    workspace: nope\n");
		Map<String, CatalogProperties.Workspace> workspaces = Map.of("w", new CatalogProperties.Workspace("sub-1",
				"rg-1", "ws-1", "westeurope", URI.create("https://mms.example"), null, "2025-06-01"));
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> new ServiceCatalog(new CatalogProperties(workspaces, Map.of(), null, file)))
			.withMessage("broker.services-file: " + file
					+ " service 'a' workspace: no workspace named 'nope' under broker.workspaces");
	}

	@Test
	void catalogWhenBothThenServesBothAndNamesWhereEachWasConfigured() throws IOException {
		String file = file("services:\n  b:\n    workspace: w\n");
		Map<String, CatalogProperties.Workspace> workspaces = Map.of("w",
				new CatalogProperties.Workspace("sub-1", "rg-1", "ws-1", "westeurope", null, null, "2025-06-01"));
		ServiceCatalog catalog = new ServiceCatalog(new CatalogProperties(workspaces,
				Map.of("a", new CatalogProperties.Service("w", ServiceKind.WEBSERVICE, null, true)), null, file));

		ServiceDescriptor a = catalog.find(ServiceName.of("a")).orElseThrow();
		ServiceDescriptor b = catalog.find(ServiceName.of("b")).orElseThrow();
		assertThat(catalog.invalid(a, ".identity", "why").getMessage()).isEqualTo("broker.services.a.identity: why");
		assertThat(catalog.invalid(b, ".identity", "why").getMessage())
			.isEqualTo("broker.services-file: " + file + " service 'b' identity: why");
	}

}
