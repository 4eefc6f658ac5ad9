package com.acme.tokenbroker.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.StreamSupport;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes objects of one {@code helm template} run, as JSON trees to query with
 * JSON pointers ({@code deployment.at("/spec/template/spec/containers/0/name")}).
 *
 * @param yaml the rendered multi-document YAML, as helm printed it
 * @param objects the objects, in rendering order
 */
record Manifests(String yaml, List<JsonNode> objects) {

	static Manifests parse(String yaml) {
		Yaml parser = new Yaml(new SafeConstructor(new LoaderOptions()));
		List<JsonNode> objects = new ArrayList<>();
		for (Object document : parser.loadAll(yaml)) {
			if (document instanceof Map<?, ?> map && !map.isEmpty()) {
				objects.add(JsonMapper.shared().valueToTree(map));
			}
		}
		return new Manifests(yaml, List.copyOf(objects));
	}

	List<String> kinds() {
		return this.objects.stream().map((object) -> object.path("kind").asString()).toList();
	}

	List<JsonNode> all(String kind) {
		return this.objects.stream().filter((object) -> kind.equals(object.path("kind").asString())).toList();
	}

	/** The one object of a kind; fails when there is none or more than one. */
	JsonNode one(String kind) {
		List<JsonNode> found = all(kind);
		if (found.size() != 1) {
			throw new AssertionError("Expected one " + kind + " but found " + found.size() + " in " + kinds());
		}
		return found.get(0);
	}

	/** Every pod spec: of Deployments and of other workloads with a pod template. */
	List<JsonNode> podSpecs() {
		return this.objects.stream()
			.map((object) -> object.at("/spec/template/spec"))
			.filter((spec) -> !spec.isMissingNode())
			.toList();
	}

	/** The broker's {@code config/application.yml}, from its ConfigMap. */
	String applicationYaml() {
		JsonNode configMap = this.objects.stream()
			.filter((object) -> "ConfigMap".equals(object.path("kind").asString())
					&& object.at("/data/application.yml").isString())
			.findFirst()
			.orElseThrow(() -> new AssertionError("No ConfigMap with application.yml in " + kinds()));
		return configMap.at("/data/application.yml").asString();
	}

	/**
	 * A file of the broker's ConfigMap.
	 * @param key its key, such as {@code services.yml}
	 * @return its content, or {@code null} when the ConfigMap has no such key
	 */
	String configFile(String key) {
		JsonNode file = this.objects.stream()
			.filter((object) -> "ConfigMap".equals(object.path("kind").asString())
					&& object.at("/data/application.yml").isString())
			.findFirst()
			.orElseThrow(() -> new AssertionError("No ConfigMap with application.yml in " + kinds()))
			.path("data")
			.path(key);
		return file.isString() ? file.asString() : null;
	}

	/** The broker's config as a tree. */
	JsonNode applicationConfig() {
		Object config = new Yaml(new SafeConstructor(new LoaderOptions())).load(applicationYaml());
		return JsonMapper.shared().valueToTree(Objects.requireNonNull(config));
	}

	static JsonNode container(JsonNode podSpec, String section, String name) {
		return StreamSupport.stream(podSpec.path(section).spliterator(), false)
			.filter((container) -> name.equals(container.path("name").asString()))
			.findFirst()
			.orElseThrow(() -> new AssertionError("No " + section + " entry named " + name + " in " + podSpec));
	}

	static JsonNode named(JsonNode array, String name) {
		return StreamSupport.stream(array.spliterator(), false)
			.filter((item) -> name.equals(item.path("name").asString()))
			.findFirst()
			.orElseThrow(() -> new AssertionError("No entry named " + name + " in " + array));
	}

	/**
	 * Assert the container's ports named {@code broker-api} and {@code broker-mgmt} are
	 * the ones the rendered application configuration sets.
	 * @param container the broker's container
	 * @param config the rendered application configuration
	 */
	static void assertPortsAreTheConfiguredOnes(JsonNode container, JsonNode config) {
		assertThat(named(container.path("ports"), "broker-api").path("containerPort").asInt())
			.isEqualTo(config.at("/server/port").asInt());
		assertThat(named(container.path("ports"), "broker-mgmt").path("containerPort").asInt())
			.isEqualTo(config.at("/management/server/port").asInt());
	}

}
