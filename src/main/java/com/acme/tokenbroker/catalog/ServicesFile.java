package com.acme.tokenbroker.catalog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;

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

	/** The most characters of a value an error message shows. */
	private static final int SHOWN = 80;

	/**
	 * A property's name as YAML may spell it: {@code auth-mode}, {@code authMode},
	 * {@code auth_mode}.
	 */
	private static final java.util.regex.Pattern PROPERTY_NAME = java.util.regex.Pattern
		.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");

	/** YAML's plain null scalars. */
	private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");

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
		if (location.startsWith("classpath:")) {
			throw new InvalidConfigurationException(PROPERTY,
					shown(location) + " is not a file path (a services file is read from the file system)");
		}
		Path path;
		try {
			path = Path.of(location.startsWith("file:") ? location.substring("file:".length()) : location);
		}
		catch (InvalidPathException ex) {
			throw new InvalidConfigurationException(PROPERTY, shown(location) + " is not a file path");
		}
		if (Files.isDirectory(path)) {
			throw invalid(path, "is a directory, not a file");
		}
		LoaderOptions options = new LoaderOptions();
		options.setCodePointLimit(MAX_CODE_POINTS);
		try (java.io.Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
			// YAML's events rather than its document: a document of 10,000 services is a
			// tree of some 300,000 nodes and marks, alive for the whole parse and so
			// promoted to the old generation, where the serial collector keeps it as
			// garbage until the heap is full. Each service is bound as soon as it is
			// read.
			return new Reader(path, new Yaml(options).parse(reader).iterator()).services();
		}
		catch (IOException ex) {
			throw invalid(path, "cannot be read (" + ex.getClass().getSimpleName() + ")");
		}
		catch (MarkedYAMLException ex) {
			Mark mark = ex.getProblemMark();
			throw invalid(path, "is not valid YAML: " + shown(String.valueOf(ex.getProblem())) + ((mark != null)
					? " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")" : ""));
		}
		catch (YAMLException ex) {
			throw invalid(path, "is not valid YAML: " + shown(firstLine(ex.getMessage())));
		}
	}

	/**
	 * A value of the file or the operator's, as an error message shows it: on one line,
	 * and not longer than a name could be.
	 */
	static String shown(String value) {
		StringBuilder shown = new StringBuilder();
		value.codePoints().limit(SHOWN).forEach((c) -> shown.appendCodePoint(Character.isISOControl(c) ? '?' : c));
		return (value.codePointCount(0, value.length()) > SHOWN) ? shown + "..." : shown.toString();
	}

	/** Reads a file's events into services, refusing what is not a map of services. */
	private static final class Reader {

		private final Path path;

		private final Iterator<Event> events;

		/** One binder, over one service at a time (see {@link #bind}). */
		private final List<ConfigurationPropertySource> current = new ArrayList<>(1);

		private final Binder binder = new Binder(this.current);

		Reader(Path path, Iterator<Event> events) {
			this.path = path;
			this.events = events;
		}

		Map<String, CatalogProperties.Service> services() {
			expect(Event.ID.StreamStart);
			Event event = next();
			if (event.is(Event.ID.StreamEnd)) {
				return Map.of();
			}
			Map<String, CatalogProperties.Service> services = Map.of();
			event = next();
			if (event.is(Event.ID.MappingStart)) {
				services = root();
			}
			else if (!isNull(event)) {
				throw invalid(this.path, "must be a map with the key 'services'");
			}
			expect(Event.ID.DocumentEnd);
			if (!next().is(Event.ID.StreamEnd)) {
				throw invalid(this.path, "holds more than one YAML document");
			}
			return services;
		}

		private Map<String, CatalogProperties.Service> root() {
			Map<String, CatalogProperties.Service> services = Map.of();
			boolean seen = false;
			for (Event event = next(); !event.is(Event.ID.MappingEnd); event = next()) {
				String key = key(event);
				if (!ROOT.equals(key)) {
					throw invalid(this.path,
							"has the key '" + shown(key) + "'; the only key it may have is 'services'");
				}
				if (seen) {
					throw invalid(this.path, "has the key 'services' twice");
				}
				seen = true;
				Event value = next();
				if (value.is(Event.ID.MappingStart)) {
					services = byName();
				}
				else if (!isNull(value)) {
					throw invalid(this.path, "'services' must be a map of services by name");
				}
			}
			return services;
		}

		private Map<String, CatalogProperties.Service> byName() {
			Map<String, CatalogProperties.Service> services = new LinkedHashMap<>();
			for (Event event = next(); !event.is(Event.ID.MappingEnd); event = next()) {
				String name = key(event);
				if (!ServiceName.isValid(name)) {
					throw invalid(this.path,
							"service '" + shown(name) + "': service names are 1 to 64 letters, digits, "
									+ "'.', '_' or '-', starting with a letter or digit");
				}
				if (services.containsKey(name)) {
					throw invalid(this.path, "service '" + name + "' is there twice");
				}
				if (!next().is(Event.ID.MappingStart)) {
					throw invalid(this.path,
							"service '" + name + "' must be a map of its properties (workspace, kind, ...)");
				}
				String prefix = ROOT + "[" + name + "]";
				Map<String, Object> flat = new LinkedHashMap<>();
				properties(name, prefix, flat);
				services.put(name, bind(name, prefix, flat));
			}
			return services;
		}

		/**
		 * A service's properties, each a single value (none is a map or a list); the
		 * binder names any it does not know.
		 */
		private void properties(String name, String prefix, Map<String, Object> flat) {
			Set<String> seen = new java.util.HashSet<>();
			for (Event event = next(); !event.is(Event.ID.MappingEnd); event = next()) {
				String property = key(event);
				if (!PROPERTY_NAME.matcher(property).matches()) {
					throw invalid(this.path, "service '" + name + "' has the property '" + shown(property)
							+ "', which is no property's name");
				}
				// the binder reads auth-mode, authMode and auth_mode as one property
				if (!seen.add(property.replace("-", "").replace("_", "").toLowerCase(java.util.Locale.ROOT))) {
					throw invalid(this.path, "'" + name + "." + property + "' is there twice");
				}
				Event value = next();
				if (!(value instanceof ScalarEvent scalar)) {
					throw invalid(this.path, "'" + name + "." + property + "' must be a single value");
				}
				String text = isNull(scalar) ? "" : scalar.getValue();
				if (text.contains("${")) {
					throw invalid(this.path, "'" + name + "." + property
							+ "' has a ${...} placeholder, which a services file does not resolve");
				}
				flat.put(prefix + "." + property, text);
			}
		}

		private CatalogProperties.Service bind(String name, String prefix, Map<String, Object> flat) {
			// One binder over one service at a time. A source holding the whole file
			// made each lookup scan every property (quadratic: minutes for 10,000
			// services); a binder per service spent its time making its converters.
			this.current.clear();
			this.current.add(new MapConfigurationPropertySource(flat));
			try {
				return this.binder
					.bind(prefix, Bindable.of(CatalogProperties.Service.class),
							new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
					.orElseThrow(() -> invalid(this.path, "service '" + name + "': workspace is required"));
			}
			catch (BindException ex) {
				throw invalid(this.path, reason(ex));
			}
			finally {
				this.current.clear();
			}
		}

		private String key(Event event) {
			if (!(event instanceof ScalarEvent scalar)) {
				throw invalid(this.path, "has a key that is not a plain name");
			}
			if (isNull(scalar)) {
				throw invalid(this.path, "has an empty (null) key");
			}
			return scalar.getValue();
		}

		private void expect(Event.ID id) {
			if (!next().is(id)) {
				throw invalid(this.path, "is not a single YAML document");
			}
		}

		private Event next() {
			Event event = this.events.next();
			if (event.is(Event.ID.Alias) || (event instanceof NodeEvent node && node.getAnchor() != null)) {
				// an alias lets a small file stand for a huge one
				throw invalid(this.path, "uses YAML anchors or aliases, which a services file may not");
			}
			if ((event instanceof ScalarEvent scalar && scalar.getTag() != null)
					|| (event instanceof CollectionStartEvent collection && collection.getTag() != null)) {
				// a tag (!!binary, !custom) would be read as if it were not there
				throw invalid(this.path, "uses YAML tags, which a services file may not");
			}
			return event;
		}

		private static boolean isNull(Event event) {
			return event instanceof ScalarEvent scalar && scalar.getImplicit().canOmitTagInPlainScalar()
					&& scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN && NULLS.contains(scalar.getValue());
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
		Class<?> type = ex.getTarget().getType().resolve();
		if (type != null && type.isEnum()) {
			// the converter's own message names the enum's class, not what may be written
			return "'" + property + "' must be one of " + java.util.Arrays.stream(type.getEnumConstants())
				.map((constant) -> ((Enum<?>) constant).name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
				.collect(java.util.stream.Collectors.joining(", "));
		}
		Throwable root = ex;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		return "'" + property + "': " + shown(firstLine(root.getMessage()));
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
