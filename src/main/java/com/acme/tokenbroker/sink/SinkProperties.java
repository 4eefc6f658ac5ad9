package com.acme.tokenbroker.sink;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.acme.tokenbroker.system.InvalidConfigurationException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * File sinks, bound from {@code broker.sinks}: for an application that cannot call HTTP,
 * the broker writes one service's credential to a file whenever it changes. A sink is a
 * deliberate disclosure chosen by the operator: whoever can read the file holds the
 * credential. Checked at start (mode, path); the service is checked against the catalog
 * by {@link FileSinks}.
 *
 * @param sinks sinks by a name of the operator's choosing (metrics and logs use it)
 */
@ConfigurationProperties("broker")
record SinkProperties(Map<String, Sink> sinks) {

	/**
	 * Four octal digits starting with {@code 0}, so that YAML's reading of an unquoted
	 * {@code 0440} as the number 288 cannot pass for a mode.
	 */
	private static final Pattern MODE = Pattern.compile("0[0-7]{3}");

	private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

	@ConstructorBinding
	SinkProperties {
		sinks = (sinks != null) ? new LinkedHashMap<>(sinks) : new LinkedHashMap<>();
		Map<Path, String> paths = new LinkedHashMap<>();
		for (Map.Entry<String, Sink> entry : sinks.entrySet()) {
			String prefix = "broker.sinks." + entry.getKey();
			Sink sink = entry.getValue();
			if (!NAME.matcher(entry.getKey()).matches()) {
				throw new InvalidConfigurationException(prefix, "a sink's name is lower-case letters, digits and '-'");
			}
			if (sink.service() == null || sink.service().isBlank()) {
				throw new InvalidConfigurationException(prefix + ".service", "is required");
			}
			if (sink.path() == null) {
				throw new InvalidConfigurationException(prefix + ".path", "is required");
			}
			if (!sink.path().isAbsolute() || !sink.path().normalize().equals(sink.path())
					|| sink.path().getFileName() == null) {
				throw new InvalidConfigurationException(prefix + ".path",
						"must be an absolute, normalized file path (no '.' or '..')");
			}
			String other = paths.putIfAbsent(sink.path(), entry.getKey());
			if (other != null) {
				throw new InvalidConfigurationException(prefix + ".path",
						"is also the path of sink '" + other + "'; each sink writes a file of its own");
			}
			permissions(prefix + ".mode", sink.mode());
		}
	}

	/**
	 * @param property the property, for the error
	 * @param mode the mode as configured, e.g. {@code 0440}
	 * @return its permissions
	 * @throws InvalidConfigurationException when it is no mode, or lets others than the
	 * broker change the file
	 */
	static Set<PosixFilePermission> permissions(String property, String mode) {
		if (mode == null || !MODE.matcher(mode).matches()) {
			throw new InvalidConfigurationException(property,
					"must be a quoted octal mode of four digits such as '0440' (YAML reads an unquoted 0440 as the "
							+ "number 288)");
		}
		int bits = Integer.parseInt(mode, 8);
		if ((bits & 0022) != 0) {
			throw new InvalidConfigurationException(property,
					"must not let the group or others write the file (" + mode + "): the credential is the broker's");
		}
		StringBuilder symbolic = new StringBuilder(9);
		String letters = "rwx";
		for (int bit = 8; bit >= 0; bit--) {
			symbolic.append(((bits >> bit) & 1) != 0 ? letters.charAt((8 - bit) % 3) : '-');
		}
		return PosixFilePermissions.fromString(symbolic.toString());
	}

	/**
	 * One sink.
	 *
	 * @param service the service whose credential is written (a key of
	 * {@code broker.services})
	 * @param path the file, absolute; its directory must exist, and the broker writes a
	 * temporary file beside it before renaming it into place
	 * @param format {@code token} (the credential alone), {@code json} (the body of
	 * {@code GET /tokens/{service}}) or {@code env} (shell variable assignments)
	 * @param mode the file's permissions, a quoted octal string; never writable by group
	 * or others
	 * @param onUnusable when no usable credential is held (none yet, or expired while
	 * refreshes fail): {@code remove} the file, or write it {@code empty}
	 */
	record Sink(String service, Path path, @DefaultValue("token") SinkFormat format, @DefaultValue("0440") String mode,
			@DefaultValue("remove") OnUnusable onUnusable) {

	}

	/** What a sink does when no usable credential is held. */
	enum OnUnusable {

		/** Delete the file: a reader finds none. */
		REMOVE,

		/** Replace it with an empty file: a reader finds an empty credential. */
		EMPTY

	}

}
