package com.acme.tokenbroker.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import tools.jackson.databind.JsonNode;

/**
 * Who can read a file of a rendered pod: the owner, group and mode the kubelet gives the
 * files of Secret, ConfigMap and projected volumes, checked against a container's user
 * and groups, so that a test can tell from the manifest alone whether the broker (uid
 * 10001) can open its client secret, certificate, federated token or TLS key.
 * <p>
 * The kubelet's rules (pkg/volume/secret, pkg/volume/projected,
 * pkg/volume/volume_linux.go; kubernetes#89193; the "projected volumes" page of the
 * Kubernetes docs):
 * <ul>
 * <li>Secret and ConfigMap files, and the Secret or ConfigMap sources of a projected
 * volume: owned by root:root with the item's {@code mode}, else the volume's
 * {@code defaultMode}, else 0644.</li>
 * <li>A projected {@code serviceAccountToken}: when every container of the pod (init
 * containers included, ephemeral ones not) runs as one and the same explicit
 * {@code runAsUser}, it is owned by that user with mode 0600; else, when the pod sets
 * {@code fsGroup}, mode 0600 (then widened below); else root:root with the volume's
 * {@code defaultMode} (0644 by default).</li>
 * <li>With the pod's {@code fsGroup}, every file of these volumes gets that group and the
 * group read bits (mode {@code | 0440}); fsGroup is also a supplemental group of every
 * container.</li>
 * </ul>
 */
final class PodFileAccess {

	private static final int DEFAULT_MODE = 0644;

	private PodFileAccess() {
	}

	/**
	 * A file as a container sees it.
	 *
	 * @param volume the volume's name
	 * @param path the path inside the volume
	 * @param owner the owning uid
	 * @param group the owning gid
	 * @param mode the permission bits
	 */
	record FileAccess(String volume, String path, long owner, long group, int mode) {

		@Override
		public String toString() {
			return this.volume + "/" + this.path + " " + this.owner + ":" + this.group + " 0"
					+ Integer.toOctalString(this.mode);
		}

	}

	/**
	 * The file a container opens at {@code absolutePath}, through its volume mounts.
	 * @param podSpec the pod spec
	 * @param container the container
	 * @param absolutePath the path inside the container
	 * @return the file, or empty when no mounted volume of the container projects it
	 */
	static Optional<FileAccess> file(JsonNode podSpec, JsonNode container, String absolutePath) {
		JsonNode mount = null;
		for (JsonNode candidate : container.path("volumeMounts")) {
			String mountPath = candidate.path("mountPath").asString();
			if (absolutePath.startsWith(mountPath + "/")
					&& (mount == null || mountPath.length() > mount.path("mountPath").asString().length())) {
				mount = candidate;
			}
		}
		if (mount == null) {
			return Optional.empty();
		}
		String relative = absolutePath.substring(mount.path("mountPath").asString().length() + 1);
		JsonNode volume = Manifests.named(podSpec.path("volumes"), mount.path("name").asString());
		return volumeFile(podSpec, volume, relative);
	}

	private static Optional<FileAccess> volumeFile(JsonNode podSpec, JsonNode volume, String path) {
		Long fsGroup = number(podSpec.at("/securityContext/fsGroup"));
		String name = volume.path("name").asString();
		Optional<Integer> mode = Optional.empty();
		long owner = 0;
		if (volume.has("secret")) {
			mode = itemMode(volume.path("secret"), volume.at("/secret/defaultMode"), path);
		}
		else if (volume.has("configMap")) {
			mode = itemMode(volume.path("configMap"), volume.at("/configMap/defaultMode"), path);
		}
		else if (volume.has("projected")) {
			JsonNode defaultMode = volume.at("/projected/defaultMode");
			for (JsonNode source : volume.at("/projected/sources")) {
				if (source.has("serviceAccountToken")) {
					if (path.equals(source.at("/serviceAccountToken/path").asString())) {
						Long fsUser = fsUser(podSpec);
						owner = (fsUser != null) ? fsUser : 0;
						mode = Optional
							.of((fsUser != null || fsGroup != null) ? 0600 : intOr(defaultMode, DEFAULT_MODE));
					}
				}
				else if (source.has("secret")) {
					mode = mode.or(() -> itemMode(source.path("secret"), defaultMode, path));
				}
				else if (source.has("configMap")) {
					mode = mode.or(() -> itemMode(source.path("configMap"), defaultMode, path));
				}
			}
		}
		if (mode.isEmpty()) {
			return Optional.empty();
		}
		int bits = mode.get();
		long group = 0;
		if (fsGroup != null) {
			group = fsGroup;
			bits |= 0440;
		}
		return Optional.of(new FileAccess(name, path, owner, group, bits));
	}

	/**
	 * The mode of the item projected at {@code path}; without items every key is a file
	 * with the default mode.
	 */
	private static Optional<Integer> itemMode(JsonNode source, JsonNode defaultMode, String path) {
		JsonNode items = source.path("items");
		if (items.isMissingNode() || items.isEmpty()) {
			return Optional.of(intOr(defaultMode, DEFAULT_MODE));
		}
		for (JsonNode item : items) {
			if (path.equals(item.path("path").asString())) {
				return Optional.of(intOr(item.path("mode"), intOr(defaultMode, DEFAULT_MODE)));
			}
		}
		return Optional.empty();
	}

	/**
	 * The one explicit runAsUser every container of the pod shares, or {@code null}
	 * (kubelet's FsUserFrom).
	 */
	static Long fsUser(JsonNode podSpec) {
		List<JsonNode> containers = new ArrayList<>();
		podSpec.path("initContainers").forEach(containers::add);
		podSpec.path("containers").forEach(containers::add);
		Long shared = null;
		for (JsonNode container : containers) {
			Long user = runAsUser(podSpec, container);
			if (user == null || (shared != null && !shared.equals(user))) {
				return null;
			}
			shared = user;
		}
		return shared;
	}

	static Long runAsUser(JsonNode podSpec, JsonNode container) {
		Long user = number(container.at("/securityContext/runAsUser"));
		return (user != null) ? user : number(podSpec.at("/securityContext/runAsUser"));
	}

	/** The container's primary group, the pod's supplemental groups and fsGroup. */
	static Set<Long> groups(JsonNode podSpec, JsonNode container) {
		Set<Long> groups = new LinkedHashSet<>();
		Long primary = number(container.at("/securityContext/runAsGroup"));
		if (primary == null) {
			primary = number(podSpec.at("/securityContext/runAsGroup"));
		}
		if (primary != null) {
			groups.add(primary);
		}
		for (JsonNode group : podSpec.at("/securityContext/supplementalGroups")) {
			groups.add(group.asLong());
		}
		Long fsGroup = number(podSpec.at("/securityContext/fsGroup"));
		if (fsGroup != null) {
			groups.add(fsGroup);
		}
		return groups;
	}

	/**
	 * Whether the container's process may open the file for reading, by the owner, group
	 * and other bits as the kernel checks them (only the first class that matches
	 * counts).
	 * @param podSpec the pod spec
	 * @param container the container
	 * @param file the file
	 * @return whether it may read it
	 */
	static boolean canRead(JsonNode podSpec, JsonNode container, FileAccess file) {
		Long user = runAsUser(podSpec, container);
		if (user == null) {
			throw new AssertionError("No runAsUser for " + container.path("name").asString() + ": the image decides");
		}
		if (user == 0) {
			return true;
		}
		if (user == file.owner()) {
			return (file.mode() & 0400) != 0;
		}
		if (groups(podSpec, container).contains(file.group())) {
			return (file.mode() & 0040) != 0;
		}
		return (file.mode() & 0004) != 0;
	}

	private static Long number(JsonNode node) {
		return (node.isMissingNode() || node.isNull()) ? null : node.asLong();
	}

	private static int intOr(JsonNode node, int fallback) {
		return (node.isMissingNode() || node.isNull()) ? fallback : node.asInt();
	}

}
