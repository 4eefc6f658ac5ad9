package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServicesFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.context.properties.bind.Bindable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code servicesFile: true}: the chart renders {@code config.services} into the
 * ConfigMap's {@code services.yml}, which the broker reads as
 * {@code broker.services-file} to the same services it would bind from
 * {@code application.yml}, and a change to it rolls the pods as a change to
 * {@code application.yml} does.
 */
class ServicesFileChartTests {

	private static final Map<String, Object> ON = Map.of("servicesFile", "true");

	@TempDir
	Path directory;

	@Test
	void theServicesFileHoldsTheServicesApplicationYmlWouldHold() throws IOException {
		for (String scenario : TokenBrokerChart.SCENARIOS) {
			Manifests inProperties = TokenBrokerChart.render(scenario);
			Manifests inFile = TokenBrokerChart.render(scenario, ON);

			assertThat(inProperties.configFile("services.yml")).as(scenario).isNull();
			JsonNode config = inFile.applicationConfig().path("broker");
			assertThat(config.has("services")).as(scenario).isFalse();
			assertThat(config.path("services-file").asString()).as(scenario).isEqualTo("/app/config/services.yml");

			Path file = Files.writeString(this.directory.resolve(scenario + ".yml"), inFile.configFile("services.yml"));
			Map<String, CatalogProperties.Service> fromFile = ServicesFile.read(file.toString());
			Map<String, CatalogProperties.Service> fromProperties = RenderedConfigurationBindingTests
				.binder(inProperties.applicationYaml())
				.bind("broker.services", Bindable.mapOf(String.class, CatalogProperties.Service.class))
				.orElse(Map.of());
			assertThat(fromFile).as(scenario).isNotEmpty().isEqualTo(fromProperties);
		}
	}

	@Test
	void aChangedServiceRollsThePods() {
		List<String> checksums = new ArrayList<>();
		for (Map<String, Object> sets : List.of(ON,
				Map.<String, Object>of("servicesFile", "true", "config.services.fraud-scoring.required", "false"))) {
			checksums.add(TokenBrokerChart.render("standalone-workload-identity", sets)
				.one("Deployment")
				.at("/spec/template/metadata/annotations/checksum~1token-broker-config")
				.asString());
		}
		assertThat(checksums.get(0)).hasSize(64);
		assertThat(checksums.get(1)).hasSize(64).isNotEqualTo(checksums.get(0));
	}

}
