package com.acme.tokenbroker.catalog;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;

/**
 * The services of {@code broker.services-file}: a YAML (or JSON) file whose
 * {@code services} map has the shape of {@code broker.services}, read by the broker
 * itself rather than through Spring's Environment.
 * <p>
 * Why a file of its own: a service under {@code broker.services} is two or more
 * properties of the Environment, and Spring Boot keeps, for as long as the application
 * runs, its own records of every property it has seen (names parsed into elements, the
 * maps between them, the bound values): about 5.5 KB of heap per service, several times
 * what the broker itself keeps per service. The file is bound with Spring Boot's binder,
 * so the names, values and defaults are those of {@code broker.services}, but with a
 * binder made for it alone and dropped once the services are read. Unlike the
 * Environment, the file is strict: a property no service has (a typo) stops the boot.
 * <p>
 * The file is read once, at start; a changed file takes effect at the next start (a
 * Kubernetes ConfigMap change rolls the pods, as any configuration change does).
 */
public final class ServicesFile {

	/** The property that names the file. */
	public static final String PROPERTY = "broker.services-file";

	private static final String ROOT = "services";

	/**
	 * Large enough for hundreds of thousands of services; SnakeYAML's default is 3 MB.
	 */
	private static final int MAX_CODE_POINTS = 64 * 1024 * 1024;

	private ServicesFile() {
	}

	/**
	 * Read the services of a file.
	 * @param location a file path, optionally prefixed {@code file:}
	 * @return the services by name, in the file's order
	 * @throws InvalidConfigurationException naming {@value #PROPERTY} when the file is
	 * missing, unreadable, not YAML, or not a map of services with known properties
	 */
	public static Map<String, CatalogProperties.Service> read(String location) {
		Path path = Path.of(location.startsWith("file:") ? location.substring("file:".length()) : location);
		Object document;
		try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
			LoaderOptions options = new LoaderOptions();
			options.setAllowDuplicateKeys(false);
			options.setMaxAliasesForCollections(0);
			options.setCodePointLimit(MAX_CODE_POINTS);
			document = new Yaml(new SafeConstructor(options)).load(reader);
		}
		catch (IOException ex) {
			throw invalid(path, "cannot be read (" + ex.getClass().getSimpleName() + ")");
		}
		catch (YAMLException ex) {
			throw invalid(path, "is not valid YAML: " + firstLine(ex.getMessage()));
		}
		if (document == null) {
			return Map.of();
		}
		if (!(document instanceof Map<?, ?> root)) {
			throw invalid(path, "must be a map with the key 'services'");
		}
		for (Object key : root.keySet()) {
			if (!ROOT.equals(key)) {
				throw invalid(path, "has the key '" + key + "'; the only key it may have is 'services'");
			}
		}
		Object services = root.get(ROOT);
		if (services == null) {
			return Map.of();
		}
		if (!(services instanceof Map<?, ?> byName)) {
			throw invalid(path, "'services' must be a map of services by name");
		}
		Map<String, CatalogProperties.Service> read = new LinkedHashMap<>();
		// One binder, over one service at a time: a source holding the whole file made
		// each lookup scan every property (quadratic, minutes for 10,000 services), and a
		// binder per service spent most of its time making its converters.
		List<ConfigurationPropertySource> current = new java.util.ArrayList<>(1);
		Binder binder = new Binder(current);
		for (Map.Entry<?, ?> entry : byName.entrySet()) {
			String name = String.valueOf(entry.getKey());
			if (!(entry.getKey() instanceof String) || !ServiceName.isValid(name)) {
				throw invalid(path, "service '" + name + "': service names are 1 to 64 letters, digits, '.', '_' "
						+ "or '-', starting with a letter or digit");
			}
			if (!(entry.getValue() instanceof Map<?, ?> service)) {
				throw invalid(path, "service '" + name + "' must be a map of its properties (workspace, kind, ...)");
			}
			Map<String, Object> flat = new LinkedHashMap<>();
			flatten(ROOT + "[" + name + "]", service, flat);
			current.clear();
			current.add(new MapConfigurationPropertySource(flat));
			try {
				read.put(name,
						binder
							.bind(ROOT + "[" + name + "]", Bindable.of(CatalogProperties.Service.class),
									new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
							.orElseThrow(() -> invalid(path, "service '" + name + "': workspace is required")));
			}
			catch (BindException ex) {
				throw invalid(path, reason(ex));
			}
		}
		return read;
	}

	private static void flatten(String prefix, Map<?, ?> values, Map<String, Object> flat) {
		for (Map.Entry<?, ?> entry : values.entrySet()) {
			String key = prefix + "." + entry.getKey();
			if (entry.getValue() instanceof Map<?, ?> nested) {
				flatten(key, nested, flat);
			}
			else if (entry.getValue() instanceof List<?>) {
				// no property of a service is a list: let the binder name it as unknown
				flat.put(key + "[0]", entry.getValue().toString());
			}
			else {
				flat.put(key, (entry.getValue() != null) ? entry.getValue().toString() : "");
			}
		}
	}

	private static String reason(BindException ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof UnboundConfigurationPropertiesException unbound) {
				return "unknown propert" + ((unbound.getUnboundProperties().size() > 1) ? "ies " : "y ")
						+ String.join(", ",
								unbound.getUnboundProperties()
									.stream()
									.map((property) -> "'" + displayed(property.getName().toString()) + "'")
									.sorted()
									.toList());
			}
		}
		String property = displayed(ex.getName().toString());
		Throwable root = ex;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		return "'" + property + "': " + firstLine(root.getMessage());
	}

	/**
	 * {@code services[fraud].auth-mode} as the operator wrote it:
	 * {@code fraud.auth-mode}.
	 */
	private static String displayed(String name) {
		String shown = name.startsWith(ROOT + "[") ? name.substring(ROOT.length() + 1) : name;
		int close = shown.indexOf(']');
		return (close >= 0) ? shown.substring(0, close) + shown.substring(close + 1) : shown;
	}

	private static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline >= 0) ? message.substring(0, newline) : message;
	}

	private static InvalidConfigurationException invalid(Path path, String reason) {
		return new InvalidConfigurationException(PROPERTY, path + " " + reason);
	}

}
