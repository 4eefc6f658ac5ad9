package com.acme.tokenbroker.catalog;

import java.net.URI;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ServiceCatalogTests {

	private static CatalogProperties.Workspace workspace(String region, URI mmsHost) {
		return new CatalogProperties.Workspace("sub-1", "rg-1", "ws-1", region, mmsHost, null, "2025-06-01");
	}

	@Test
	void constructorWhenHostsOmittedThenRegionalDefaults() {
		ServiceCatalog catalog = new ServiceCatalog(
				new CatalogProperties(Map.of("w", workspace("westeurope", null)), Map.of("fraud",
						new CatalogProperties.Service("w", ServiceKind.ONLINE_ENDPOINT, "fraud-endpoint", true))));

		ServiceDescriptor fraud = catalog.find(ServiceName.of("fraud")).orElseThrow();
		assertThat(fraud.workspace().mmsHost()).isEqualTo(URI.create("https://westeurope.api.azureml.ms"));
		assertThat(fraud.workspace().armHost()).isEqualTo(URI.create("https://management.azure.com"));
		assertThat(fraud.upstreamName()).isEqualTo("fraud-endpoint");
		assertThat(catalog.find(ServiceName.of("other"))).isEmpty();
	}

	@Test
	void constructorWhenServiceNamesMissingWorkspaceThenErrorNamesTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> new ServiceCatalog(new CatalogProperties(Map.of("w", workspace("westeurope", null)),
					Map.of("fraud", new CatalogProperties.Service("nope", ServiceKind.WEBSERVICE, null, true)))))
			.withMessageStartingWith("broker.services.fraud.workspace");
	}

	@Test
	void constructorWhenRegionIsEntraThenErrorNamesTheProperty() {
		// a region's breaker is named after the region: "entra" would share Entra ID's
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(
					() -> new ServiceCatalog(new CatalogProperties(Map.of("w", workspace("entra", null)), Map.of())))
			.withMessageStartingWith("broker.workspaces.w.region");
	}

	@Test
	void constructorWhenHostIsPlainHttpThenErrorNamesTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> new ServiceCatalog(new CatalogProperties(
					Map.of("w", workspace("westeurope", URI.create("http://insecure.example"))), Map.of())))
			.withMessageStartingWith("broker.workspaces.w.mms-host");
	}

	@Test
	void constructorWhenRegionMalformedThenErrorNamesTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(
				() -> new ServiceCatalog(new CatalogProperties(Map.of("w", workspace("West Europe", null)), Map.of())))
			.withMessageStartingWith("broker.workspaces.w.region");
	}

	@Test
	void serviceNameWhenHostileThenRejected() {
		for (String hostile : new String[] { "", "../etc", "a/b", "a%2Fb", "x".repeat(65), "-leading", "sp ace",
				"é" }) {
			assertThat(ServiceName.isValid(hostile)).as(hostile).isFalse();
		}
		assertThat(ServiceName.isValid("fraud-scoring.v2_eu")).isTrue();
	}

}
