package com.acme.tokenbroker.support;

import java.util.LinkedHashMap;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;

/**
 * The services of a test's own catalog, in the order added, for
 * {@code TestWorkspaces.launch} and {@link TestWorkspaces#registerCatalog}: each under
 * its upstream name, optional unless added with {@link #required}.
 */
public final class TestServices {

	private final Map<String, CatalogProperties.Service> services = new LinkedHashMap<>();

	private TestServices() {
	}

	public static TestServices catalog() {
		return new TestServices();
	}

	/** An optional service of the catalog's default auth mode. */
	public TestServices add(String name, String workspace, ServiceKind kind) {
		return add(name, workspace, kind, AuthMode.AUTO);
	}

	/** An optional service of the given auth mode. */
	public TestServices add(String name, String workspace, ServiceKind kind, AuthMode authMode) {
		return put(name, new CatalogProperties.Service(workspace, kind, null, false, authMode));
	}

	/** A required service of the given auth mode. */
	public TestServices required(String name, String workspace, ServiceKind kind, AuthMode authMode) {
		return put(name, new CatalogProperties.Service(workspace, kind, null, true, authMode));
	}

	private TestServices put(String name, CatalogProperties.Service service) {
		this.services.put(name, service);
		return this;
	}

	public Map<String, CatalogProperties.Service> build() {
		return new LinkedHashMap<>(this.services);
	}

}
