package com.acme.tokenbroker.docs;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.bind.DefaultValue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/configuration.md} is the configuration reference, and a test rather than
 * care keeps it true (issue 13, item 10): every {@code broker.*} property the
 * configuration processor found in the broker's {@code @ConfigurationProperties} records
 * has a row there, with the code's default where the code declares one; every
 * {@code broker.*} name the page mentions exists; and every {@code broker.*} key the
 * operator's root {@code application.yml} sets exists.
 * <p>
 * The processor's metadata
 * ({@code target/classes/META-INF/spring-configuration-metadata.json}, written at compile
 * time) describes a map or list of records as one property of that type
 * ({@code broker.services}, {@code broker.access.rules}); their records' components are
 * read here by reflection, with the map key written {@code <name>} (any placeholder:
 * {@code <alias>}, {@code <id>}) and a list entry {@code []}, as the page writes them,
 * e.g. {@code broker.services.<name>.workspace} and
 * {@code broker.access.rules[].subjects}.
 */
class ConfigurationReferenceTests {

	private static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");

	private static final Path REFERENCE = Path.of("docs/configuration.md");

	private static final Path OPERATOR_FILE = Path.of("application.yml");

	/**
	 * The broker's own configuration types: only these are expanded into their
	 * components.
	 */
	private static final String BROKER_PACKAGE = "com.acme.tokenbroker";

	/** A map key in canonical form, whatever the placeholder's name. */
	private static final String KEY = "<>";

	/** A list entry in canonical form. */
	private static final String ENTRY = "[]";

	/**
	 * A {@code broker.…} name anywhere on the page, not part of a longer word (a host
	 * such as {@code token-broker.ml-apps.svc}, a package such as
	 * {@code com.acme.tokenbroker.audit}).
	 */
	private static final Pattern MENTION = Pattern
		.compile("(?<![A-Za-z0-9._-])broker(?:\\.(?:[a-z0-9-]+|<[a-z-]+>)|\\[[a-z0-9*]*])+");

	/** A reference row: {@code | `broker.x.y` | default | what |}. */
	private static final Pattern ROW = Pattern.compile("^\\| `(broker\\.[^`]+)` \\|([^|]*)\\|");

	/**
	 * Every leaf property in canonical form, with the default the code declares (null
	 * when none).
	 */
	private static Map<String, String> properties;

	/**
	 * The leaves and every prefix of them: the names the page and the operator's file may
	 * use.
	 */
	private static Set<String> known;

	@BeforeAll
	static void readMetadata() throws IOException {
		assertThat(METADATA).as("the configuration processor's metadata (compile first)").isRegularFile();
		JsonNode metadata = JsonMapper.shared().readTree(METADATA.toFile());
		properties = new LinkedHashMap<>();
		for (JsonNode property : metadata.path("properties")) {
			String name = property.path("name").asString();
			if (name.startsWith("broker.")) {
				JsonNode defaultValue = property.path("defaultValue");
				expand(name, property.path("type").asString(),
						(defaultValue.isMissingNode() || defaultValue.isNull()) ? null : defaultValue.asString());
			}
		}
		known = new LinkedHashSet<>();
		for (String name : properties.keySet()) {
			for (int i = 0; i < name.length(); i++) {
				if (name.charAt(i) == '.' || name.charAt(i) == '[') {
					known.add(name.substring(0, i));
				}
			}
			known.add(name);
		}
	}

	@Test
	void everyBrokerPropertyHasARowInTheReference() throws IOException {
		Map<String, String> rows = rows();

		Set<String> missing = new TreeSet<>(properties.keySet());
		missing.removeAll(rows.keySet());

		assertThat(missing).as("broker.* properties without a row in " + REFERENCE).isEmpty();
	}

	@Test
	void everyBrokerNameTheReferenceMentionsExists() throws IOException {
		Set<String> unknown = new TreeSet<>();
		Matcher mention = MENTION.matcher(Files.readString(REFERENCE));
		while (mention.find()) {
			if (!known.contains(resolve("", canonical(mention.group())))) {
				unknown.add(mention.group());
			}
		}

		assertThat(unknown).as("names in " + REFERENCE + " that no configuration record has").isEmpty();
	}

	@Test
	void everyDefaultTheCodeDeclaresIsTheReferencesDefault() throws IOException {
		Map<String, String> rows = rows();

		List<String> wrong = new ArrayList<>();
		properties.forEach((name, defaultValue) -> {
			String cell = rows.get(name);
			if (defaultValue != null && cell != null && !cell.contains("`" + defaultValue + "`")) {
				wrong.add(name + ": the code's default is `" + defaultValue + "`, the reference says " + cell.strip());
			}
		});

		assertThat(wrong).as("defaults in " + REFERENCE).isEmpty();
	}

	@Test
	void everyBrokerKeyOfTheOperatorFileExists() throws IOException {
		Set<String> unknown = new TreeSet<>();
		try (Reader reader = Files.newBufferedReader(OPERATOR_FILE)) {
			for (Object document : new Yaml().loadAll(reader)) {
				if (document instanceof Map<?, ?> root) {
					root.forEach((key, value) -> {
						if (key.equals("broker") || key.toString().startsWith("broker.")) {
							walk("", key.toString(), value, unknown);
						}
					});
				}
			}
		}

		assertThat(unknown).as("broker.* keys of " + OPERATOR_FILE + " that no configuration record has").isEmpty();
	}

	/**
	 * The reference's rows, by canonical name; a name given two rows fails, since one of
	 * them is bound to drift.
	 * @return the Default cell of each row
	 */
	private static Map<String, String> rows() throws IOException {
		Map<String, String> rows = new LinkedHashMap<>();
		Set<String> duplicates = new TreeSet<>();
		for (String line : Files.readAllLines(REFERENCE)) {
			Matcher row = ROW.matcher(line);
			if (row.find() && rows.put(canonical(row.group(1)), row.group(2)) != null) {
				duplicates.add(row.group(1));
			}
		}
		assertThat(duplicates).as("names with two rows in " + REFERENCE).isEmpty();
		return rows;
	}

	/**
	 * Follows a YAML key down the configuration's shape: under a map of records any key
	 * stands for {@code <>}, under a list of records each entry for {@code []}; a leaf
	 * takes any value (a list of strings, a map of strings such as the fleet's encryption
	 * keys).
	 */
	private static void walk(String parent, String key, Object value, Set<String> unknown) {
		String path = resolve(parent, key);
		if (!known.contains(path)) {
			unknown.add(path);
		}
		else if (!properties.containsKey(path)) {
			String at = path;
			if (value instanceof Map<?, ?> map) {
				map.forEach((child, childValue) -> walk(at, child.toString(), childValue, unknown));
			}
			else if (value instanceof List<?> list && known.contains(at + ENTRY)) {
				for (Object entry : list) {
					if (entry instanceof Map<?, ?> map) {
						map.forEach((child, childValue) -> walk(at + ENTRY, child.toString(), childValue, unknown));
					}
					else {
						unknown.add(at + ENTRY + " = " + entry);
					}
				}
			}
			else if (value != null) {
				unknown.add(path + " = " + value + " (a value where settings are expected)");
			}
		}
	}

	/**
	 * A dotted name below {@code parent}, in canonical form: a segment under a map of
	 * records (or of strings) is its key, written {@code <>}, so
	 * {@code broker.services.fraud.workspace} is {@code broker.services.<>.workspace}.
	 */
	private static String resolve(String parent, String dotted) {
		String path = parent;
		for (String segment : dotted.split("\\.")) {
			path = path.isEmpty() ? segment
					: (known.contains(path + "." + KEY) ? path + "." + KEY : path + "." + segment);
		}
		return path;
	}

	/** A property of the metadata, by the type name the processor wrote. */
	private static void expand(String name, String type, String defaultValue) {
		if (type.startsWith("java.util.Map<")) {
			String valueType = type.substring(type.indexOf(',') + 1, type.length() - 1);
			expandElement(name + "." + KEY, brokerRecord(valueType));
		}
		else if (type.startsWith("java.util.List<") && brokerRecord(elementType(type)) != null) {
			expandElement(name + ENTRY, brokerRecord(elementType(type)));
		}
		else {
			properties.put(name, defaultValue);
		}
	}

	/** A map value or a list entry: a record's components, or a leaf. */
	private static void expandElement(String name, Class<?> record) {
		if (record == null) {
			properties.put(name, null);
			return;
		}
		RecordComponent[] components = record.getRecordComponents();
		Constructor<?> canonical;
		try {
			canonical = record.getDeclaredConstructor(
					Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
		}
		catch (NoSuchMethodException ex) {
			throw new IllegalStateException(ex);
		}
		for (int i = 0; i < components.length; i++) {
			String child = name + "." + kebab(components[i].getName());
			DefaultValue declared = canonical.getParameters()[i].getAnnotation(DefaultValue.class);
			Type type = components[i].getGenericType();
			if (type instanceof ParameterizedType parameterized
					&& Map.class.isAssignableFrom((Class<?>) parameterized.getRawType())) {
				expandElement(child + "." + KEY, brokerRecord(parameterized.getActualTypeArguments()[1]));
			}
			else if (type instanceof ParameterizedType parameterized
					&& List.class.isAssignableFrom((Class<?>) parameterized.getRawType())
					&& brokerRecord(parameterized.getActualTypeArguments()[0]) != null) {
				expandElement(child + ENTRY, brokerRecord(parameterized.getActualTypeArguments()[0]));
			}
			else if (brokerRecord(type) != null) {
				expandElement(child, brokerRecord(type));
			}
			else {
				properties.put(child, (declared != null) ? String.join(",", declared.value()) : null);
			}
		}
	}

	private static String elementType(String listType) {
		return listType.substring("java.util.List<".length(), listType.length() - 1);
	}

	private static Class<?> brokerRecord(String typeName) {
		if (!typeName.startsWith(BROKER_PACKAGE + ".")) {
			return null;
		}
		try {
			return brokerRecord(Class.forName(typeName));
		}
		catch (ClassNotFoundException ex) {
			throw new IllegalStateException("the metadata names " + typeName, ex);
		}
	}

	private static Class<?> brokerRecord(Type type) {
		return (type instanceof Class<?> candidate && candidate.isRecord()
				&& candidate.getPackageName().startsWith(BROKER_PACKAGE)) ? candidate : null;
	}

	private static String kebab(String camelCase) {
		return camelCase.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
	}

	/**
	 * {@code <alias>}, {@code <name>}, {@code <id>} become {@code <>}; {@code [0]} and
	 * {@code [n]} become {@code []}.
	 */
	private static String canonical(String name) {
		return name.replaceAll("<[a-z-]+>", KEY).replaceAll("\\[[a-z0-9*]*]", ENTRY);
	}

}
