package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.keys.KeySlotCoordination;
import com.acme.tokenbroker.upstream.KeySlot;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Key rotation shared through Redis: {@code <prefix>:keyslot:{<service>:<id>}} holds the
 * sealed record of the slot the fleet serves (no key, only its slot name, when and by
 * which rotation it was switched to; sealed so that whoever can write to Redis cannot
 * make the fleet serve a slot about to be regenerated), without expiry;
 * {@code <prefix>:keyrotation:{<service>:<id>}} is the rotation lock. The id names the
 * service upstream, not a slot.
 */
class RedisKeySlotCoordination implements KeySlotCoordination {

	private static final JsonMapper mapper = SharedFormat.MAPPER;

	private final SharedStore store;

	private final TokenSealer sealer;

	private final String prefix;

	RedisKeySlotCoordination(SharedStore store, TokenSealer sealer, String prefix) {
		this.store = store;
		this.sealer = sealer;
		this.prefix = prefix;
	}

	@Override
	public boolean isCoordinated() {
		return true;
	}

	@Override
	public ServedSlot served(ServiceDescriptor service) {
		String key = recordKey(service);
		String value = call(() -> this.store.get(key));
		if (value == null) {
			return null;
		}
		return this.sealer.open(key, value).flatMap(RedisKeySlotCoordination::decode).orElse(null);
	}

	@Override
	public String tryLock(ServiceDescriptor service, Duration lease) {
		return call(() -> this.store.tryLock(lockKey(service), lease));
	}

	@Override
	public void publish(ServiceDescriptor service, ServedSlot served) {
		String key = recordKey(service);
		byte[] plaintext = mapper
			.writeValueAsBytes(new Stored(1, served.slot().name(), served.since().toEpochMilli(), served.rotationId()));
		call(() -> {
			this.store.put(key, this.sealer.seal(key, plaintext));
			return null;
		});
	}

	@Override
	public void unlock(ServiceDescriptor service, String owner) {
		this.store.unlock(lockKey(service), owner);
	}

	private String recordKey(ServiceDescriptor service) {
		return this.prefix + ":keyslot:{" + service.name() + ":" + SharedKeys.identity(service, "any-slot") + "}";
	}

	private String lockKey(ServiceDescriptor service) {
		return this.prefix + ":keyrotation:{" + service.name() + ":" + SharedKeys.identity(service, "any-slot") + "}";
	}

	private static Optional<ServedSlot> decode(byte[] plaintext) {
		try {
			Stored stored = mapper.readValue(plaintext, Stored.class);
			if (stored.v() != 1 || stored.slot() == null || stored.since() <= 0) {
				return Optional.empty();
			}
			return Optional.of(new ServedSlot(KeySlot.valueOf(stored.slot()), Instant.ofEpochMilli(stored.since()),
					stored.rotationId()));
		}
		catch (JacksonException | IllegalArgumentException ex) {
			return Optional.empty();
		}
	}

	private static <T> T call(java.util.function.Supplier<T> call) {
		try {
			return call.get();
		}
		catch (SharedStoreUnavailableException ex) {
			throw new CoordinationUnavailableException(ex.getMessage(), ex);
		}
	}

	/** The stored fields. */
	record Stored(int v, String slot, long since, String rotationId) {

	}

}
