package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.context.properties.bind.Binder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 16, item 3: in sidecar mode, file sinks live in a memory-backed {@code emptyDir}
 * that the broker's container mounts, and that only the app containers which include
 * {@code token-broker.sinks.volumeMount} mount besides, read-only. The example app chart
 * includes it in its {@code scorer} container; a second app container does not, and must
 * not see the volume.
 */
class SinkChartTests {

	static final String VOLUME = "token-broker-sinks";

	static final Map<String, Object> FRAUD_SINK = Map.of("token-broker.sinks.fraud.service", "fraud-scoring",
			"token-broker.sinks.fraud.file", "fraud.json", "token-broker.sinks.fraud.format", "json",
			"token-broker.sinks.fraud.mode", "0440", "token-broker.sinks.fraud.onUnusable", "empty");

	@TempDir
	static Path workDir;

	static Manifests render(Map<String, Object> sets) {
		Map<String, Object> values = new LinkedHashMap<>(SidecarIdentityIsolationTests.SECOND_APP_CONTAINER);
		values.putAll(sets);
		try {
			return TokenBrokerChart.renderAppChart(Files.createTempDirectory(workDir, "app"), values);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static List<String> mounts(JsonNode container) {
		List<String> names = new ArrayList<>();
		container.path("volumeMounts").forEach((mount) -> names.add(mount.path("name").asString()));
		return names;
	}

	@Test
	void withoutSinksThereIsNoSinkVolume() {
		Manifests manifests = render(Map.of());

		assertThat(manifests.yaml()).doesNotContain(VOLUME);
		assertThat(manifests.applicationConfig().at("/broker").has("sinks")).isFalse();
	}

	@Test
	void aSinkIsAMemoryVolumeMountedByTheBrokerAndTheContainersThatAskedOnly() {
		JsonNode spec = render(FRAUD_SINK).one("Deployment").at("/spec/template/spec");

		JsonNode volume = Manifests.named(spec.path("volumes"), VOLUME);
		assertThat(volume.at("/emptyDir/medium").asString()).isEqualTo("Memory");
		assertThat(volume.at("/emptyDir/sizeLimit").asString()).isEqualTo("1Mi");
		JsonNode broker = Manifests.container(spec, "initContainers", SidecarIdentityIsolationTests.BROKER);
		JsonNode brokerMount = Manifests.named(broker.path("volumeMounts"), VOLUME);
		assertThat(brokerMount.path("mountPath").asString()).isEqualTo("/var/run/token-broker/sinks");
		assertThat(brokerMount.path("readOnly").asBoolean()).as("the broker writes there").isFalse();
		JsonNode scorer = Manifests.container(spec, "containers", "scorer");
		JsonNode scorerMount = Manifests.named(scorer.path("volumeMounts"), VOLUME);
		assertThat(scorerMount.path("mountPath").asString()).isEqualTo("/var/run/token-broker/sinks");
		assertThat(scorerMount.path("readOnly").asBoolean()).isTrue();
		assertThat(mounts(Manifests.container(spec, "containers", "log-shipper")))
			.as("a container that did not include the mount")
			.doesNotContain(VOLUME);
	}

	@Test
	void theSinkIsRenderedIntoTheBrokersConfigurationAndItsModeStaysAString() {
		Manifests manifests = render(FRAUD_SINK);

		JsonNode sink = manifests.applicationConfig().at("/broker/sinks/fraud");
		assertThat(sink.path("service").asString()).isEqualTo("fraud-scoring");
		assertThat(sink.path("path").asString()).isEqualTo("/var/run/token-broker/sinks/fraud.json");
		assertThat(sink.path("format").asString()).isEqualTo("json");
		assertThat(sink.path("on-unusable").asString()).isEqualTo("empty");
		Binder binder = RenderedConfigurationBindingTests.binder(manifests.applicationYaml());
		assertThat(binder.bind("broker.sinks.fraud.mode", String.class).get())
			.as("as Spring Boot reads the ConfigMap: not YAML's octal number 288")
			.isEqualTo("0440");
	}

	@Test
	void theSinkVolumeFollowsItsValues() {
		Map<String, Object> sets = new LinkedHashMap<>(FRAUD_SINK);
		sets.put("token-broker.sidecar.sinks.mountPath", "/run/creds");
		sets.put("token-broker.sidecar.sinks.sizeLimit", "2Mi");
		Manifests manifests = render(sets);
		JsonNode spec = manifests.one("Deployment").at("/spec/template/spec");

		assertThat(Manifests.named(spec.path("volumes"), VOLUME).at("/emptyDir/sizeLimit").asString()).isEqualTo("2Mi");
		assertThat(manifests.applicationConfig().at("/broker/sinks/fraud/path").asString())
			.isEqualTo("/run/creds/fraud.json");
	}

	@Test
	void badSinksAreRefusedWhenRendering() {
		assertThatException().isThrownBy(() -> render(with("token-broker.sinks.fraud.mode", 288)))
			.withMessageContaining("/sinks/fraud/mode");
		assertThatException().isThrownBy(() -> render(with("token-broker.sinks.fraud.mode", "0460")))
			.withMessageContaining("/sinks/fraud/mode");
		assertThatException().isThrownBy(() -> render(with("token-broker.sinks.fraud.service", "nope")))
			.withMessageContaining("sinks.fraud.service");
		assertThatException().isThrownBy(() -> render(with("token-broker.sinks.fraud.file", "../escape")))
			.withMessageContaining("/sinks/fraud/file");
		assertThatException().isThrownBy(() -> render(with("token-broker.sinks.fraud.format", "xml")))
			.withMessageContaining("/sinks/fraud/format");
	}

	@Test
	void sinksAreForSidecarModeOnly() {
		Map<String, Object> sets = new LinkedHashMap<>();
		FRAUD_SINK.forEach((key, value) -> sets.put(key.substring("token-broker.".length()), value));

		assertThatException().isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", sets))
			.withMessageContaining("sinks: sidecar mode only");
	}

	private static Map<String, Object> with(String key, Object value) {
		Map<String, Object> sets = new LinkedHashMap<>(FRAUD_SINK);
		sets.put(key, value);
		return sets;
	}

}
