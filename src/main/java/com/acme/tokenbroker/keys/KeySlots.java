package com.acme.tokenbroker.keys;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.ServedKeySlot;
import com.acme.tokenbroker.upstream.KeySlot;

/**
 * Which key the broker serves for each key-auth service: the configured default until a
 * rotation switches it.
 */
public class KeySlots implements ServedKeySlot {

	private final KeySlot defaultSlot;

	private final Map<ServiceName, KeySlot> served = new ConcurrentHashMap<>();

	public KeySlots(KeySlot defaultSlot) {
		this.defaultSlot = defaultSlot;
	}

	@Override
	public KeySlot served(ServiceName service) {
		return this.served.getOrDefault(service, this.defaultSlot);
	}

	public void serve(ServiceName service, KeySlot slot) {
		this.served.put(service, slot);
	}

}
