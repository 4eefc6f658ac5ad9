package com.acme.tokenbroker.keys;

import com.acme.tokenbroker.catalog.ServiceName;

/**
 * Another instance of the fleet holds the service's rotation lock: one rotation at a
 * time, for the whole fleet.
 */
class RotationElsewhereException extends RuntimeException {

	private final ServiceName service;

	RotationElsewhereException(ServiceName service) {
		super("Another broker instance is rotating the keys of service '" + service + "'");
		this.service = service;
	}

	ServiceName getService() {
		return this.service;
	}

}
