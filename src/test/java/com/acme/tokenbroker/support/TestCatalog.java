package com.acme.tokenbroker.support;

import java.util.LinkedHashMap;
import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Small catalogs for unit tests.
 */
public final class TestCatalog {

	private TestCatalog() {
	}

	/**
	 * @return a catalog with one workspace in westeurope and the given v1 services
	 */
	public static ServiceCatalog withServices(String... names) {
		Map<String, CatalogProperties.Workspace> workspaces = new LinkedHashMap<>();
		workspaces.put("ml-weu", new CatalogProperties.Workspace("00000000-0000-0000-0000-000000000001", "rg-ml",
				"ws-weu", "westeurope", null, null, "2025-06-01"));
		Map<String, CatalogProperties.Service> services = new LinkedHashMap<>();
		for (String name : names) {
			services.put(name, new CatalogProperties.Service("ml-weu", ServiceKind.WEBSERVICE, null, true));
		}
		return new ServiceCatalog(new CatalogProperties(workspaces, services));
	}

	/**
	 * @return the named service of {@code catalog}, after asserting that it sits in
	 * {@code region} (tests that treat regions differently rely on where it sits)
	 */
	public static ServiceDescriptor inRegion(ServiceCatalog catalog, String region, String name) {
		ServiceDescriptor service = catalog.find(ServiceName.of(name)).orElseThrow();
		assertThat(service.region()).isEqualTo(region);
		return service;
	}

}
