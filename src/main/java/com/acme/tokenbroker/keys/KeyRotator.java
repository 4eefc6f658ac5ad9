package com.acme.tokenbroker.keys;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import com.acme.tokenbroker.upstream.UpstreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates a key-auth service's keys without breaking its callers:
 * <ol>
 * <li>regenerate the key that is not being served (waiting for an asynchronous
 * regeneration to finish);</li>
 * <li>switch the served key to it and reload the cache, so callers get the new key at
 * their next fetch;</li>
 * <li>wait the grace period, longer than any caller's {@code refreshBy}: the old key
 * still works meanwhile;</li>
 * <li>regenerate the old key.</li>
 * </ol>
 * At every step a working key is served: the new key is served only once it exists, and
 * the old one is regenerated only after callers moved over. A rotation is idempotent:
 * asking while one runs returns it; asking after one failed resumes it from the failed
 * step. The grace wait runs on the injected clock ({@link #advance()} is called by the
 * refresher). In fleet mode ({@link KeySlotCoordination}) one instance rotates a service
 * at a time, holding the fleet's rotation lock from the first step to the last, and
 * publishes the slot it switched to; every other instance follows that record at its next
 * refresh check ({@link #advance()}), and a scheduled rotation counts from the fleet's
 * last switch. Each rotation that ends writes one audit line (who, which service, which
 * slots, outcome), never a key.
 */
public class KeyRotator {

	private static final Logger logger = LoggerFactory.getLogger(KeyRotator.class);

	private static final Logger audit = LoggerFactory.getLogger("com.acme.tokenbroker.audit");

	private final ServiceCatalog catalog;

	private final ServiceKeysClient client;

	private final TokenCache cache;

	private final KeySlots slots;

	private final KeyRotationProperties properties;

	private final Executor executor;

	private final Clock clock;

	private final Map<ServiceName, KeyRotation> rotations = new ConcurrentHashMap<>();

	/** The fleet's rotation locks this instance holds, by service. */
	private final Map<ServiceName, String> lockOwners = new ConcurrentHashMap<>();

	private final KeySlotCoordination coordination;

	private final Instant createdAt;

	public KeyRotator(ServiceCatalog catalog, ServiceKeysClient client, TokenCache cache, KeySlots slots,
			KeyRotationProperties properties, Executor executor, Clock clock) {
		this(catalog, client, cache, slots, properties, executor, clock, KeySlotCoordination.NONE);
	}

	/**
	 * @param coordination how the other instances take part: in fleet mode the rotation
	 * lock and the served slot in Redis, else {@link KeySlotCoordination#NONE}
	 */
	public KeyRotator(ServiceCatalog catalog, ServiceKeysClient client, TokenCache cache, KeySlots slots,
			KeyRotationProperties properties, Executor executor, Clock clock, KeySlotCoordination coordination) {
		this.coordination = coordination;
		this.catalog = catalog;
		this.client = client;
		this.cache = cache;
		this.slots = slots;
		this.properties = properties;
		this.executor = executor;
		this.clock = clock;
		this.createdAt = clock.instant();
	}

	/**
	 * Start a rotation, return the running one, or resume a failed one.
	 * @param service the key-auth service
	 * @param requestedBy who asked, for the audit line
	 * @return the rotation
	 */
	public synchronized KeyRotation rotate(ServiceDescriptor service, String requestedBy) {
		KeyRotation current = this.rotations.get(service.name());
		if (current != null && current.isActive()) {
			return current;
		}
		if (this.coordination.isCoordinated()) {
			follow(service);
			String owner = this.coordination.tryLock(service, lockLease());
			if (owner == null) {
				throw new RotationElsewhereException(service.name());
			}
			this.lockOwners.put(service.name(), owner);
		}
		KeyRotation rotation = current;
		if (rotation == null || rotation.status() != KeyRotation.Status.FAILED || !isResumable(rotation)) {
			rotation = new KeyRotation(UUID.randomUUID().toString(), service.name(), this.slots.served(service.name()),
					requestedBy, this.clock.instant());
			this.rotations.put(service.name(), rotation);
			logger.info("Key rotation {} of service '{}' started by {}", rotation.id(), service.name(), requestedBy);
		}
		else {
			logger.info("Key rotation {} of service '{}' resumed at {} by {}", rotation.id(), service.name(),
					rotation.step(), requestedBy);
		}
		rotation.running();
		submit(service, rotation);
		return rotation;
	}

	/**
	 * @return whether the other instances follow this one's rotations (fleet mode)
	 */
	public boolean isCoordinated() {
		return this.coordination.isCoordinated();
	}

	/**
	 * The rotation lock outlives the grace period by this much, which bounds the
	 * regenerations; a rotator that crashed passes the lock on after it.
	 */
	static final java.time.Duration STEPS_LEASE = java.time.Duration.ofMinutes(10);

	private java.time.Duration lockLease() {
		return this.properties.grace().plus(STEPS_LEASE);
	}

	/**
	 * A failed rotation resumes only while this instance still serves the slot its failed
	 * step left served.
	 */
	private boolean isResumable(KeyRotation rotation) {
		KeySlot expected = (rotation.step().compareTo(KeyRotation.Step.SWITCH) <= 0) ? rotation.retired()
				: rotation.standby();
		return this.slots.served(rotation.service()) == expected;
	}

	/**
	 * Serve the slot the fleet serves, if a peer's rotation switched it: the cache
	 * reloads the key at once, long before the grace period ends and the peer regenerates
	 * the key this instance served.
	 * @return the fleet's record, or {@code null}
	 */
	private KeySlotCoordination.ServedSlot follow(ServiceDescriptor service) {
		KeySlotCoordination.ServedSlot shared = this.coordination.served(service);
		if (shared != null && shared.slot() != this.slots.served(service.name())) {
			this.slots.serve(service.name(), shared.slot());
			this.cache.reload(service);
			logger.info("Service '{}' follows the fleet's key rotation {}: the {} key is served since {}",
					service.name(), shared.rotationId(), shared.slot(), shared.since());
		}
		return shared;
	}

	private void releaseLock(ServiceDescriptor service) {
		String owner = this.lockOwners.remove(service.name());
		if (owner != null) {
			this.coordination.unlock(service, owner);
		}
	}

	/**
	 * @param service a service
	 * @return its last rotation, or {@code null}
	 */
	public KeyRotation rotation(ServiceName service) {
		return this.rotations.get(service);
	}

	/**
	 * Move rotations whose grace period is over to their last step, and start scheduled
	 * rotations that are due. Called by the refresher on every tick.
	 */
	public void advance() {
		Instant now = this.clock.instant();
		Map<ServiceName, KeySlotCoordination.ServedSlot> fleet = new java.util.HashMap<>();
		if (this.coordination.isCoordinated()) {
			for (ServiceDescriptor service : this.catalog.services()) {
				KeyRotation own = this.rotations.get(service.name());
				if (usesKeys(service) && (own == null || !own.isActive())) {
					try {
						KeySlotCoordination.ServedSlot shared = follow(service);
						if (shared != null) {
							fleet.put(service.name(), shared);
						}
					}
					catch (KeySlotCoordination.CoordinationUnavailableException ex) {
						logger.debug("The fleet's served key slot of service '{}' is not available: {}", service.name(),
								ex.getMessage());
					}
				}
			}
		}
		for (KeyRotation rotation : this.rotations.values()) {
			if (rotation.status() == KeyRotation.Status.WAITING && !now.isBefore(rotation.graceUntil())) {
				synchronized (this) {
					if (rotation.status() == KeyRotation.Status.WAITING) {
						rotation.moveTo(KeyRotation.Step.REGENERATE_RETIRED);
						rotation.running();
						submit(this.catalog.find(rotation.service()).orElseThrow(), rotation);
					}
				}
			}
		}
		if (!this.properties.interval().isZero()) {
			for (ServiceDescriptor service : this.catalog.services()) {
				if (usesKeys(service) && isDue(service, now, fleet.get(service.name()))) {
					try {
						rotate(service, "schedule");
					}
					catch (RotationElsewhereException | KeySlotCoordination.CoordinationUnavailableException ex) {
						logger.debug("Scheduled key rotation of service '{}' not started here: {}", service.name(),
								ex.getMessage());
					}
				}
			}
		}
	}

	/**
	 * @param service a service
	 * @return whether the broker serves it a key: configured so, or its cached credential
	 * is one
	 */
	public boolean usesKeys(ServiceDescriptor service) {
		if (service.authMode() == com.acme.tokenbroker.catalog.AuthMode.KEY) {
			return true;
		}
		BrokeredToken token = this.cache.current(service.name());
		return token != null
				&& com.acme.tokenbroker.catalog.AuthMode.KEY.credentialType().equals(token.credentialType());
	}

	private boolean isDue(ServiceDescriptor service, Instant now, KeySlotCoordination.ServedSlot fleet) {
		KeyRotation last = this.rotations.get(service.name());
		if (last != null && (last.isActive() || last.status() == KeyRotation.Status.FAILED)) {
			return last.status() == KeyRotation.Status.FAILED
					&& !now.isBefore(last.finishedAt().plus(this.properties.interval()));
		}
		Instant since = (last != null) ? last.finishedAt() : this.createdAt;
		if (fleet != null && fleet.since().isAfter(since)) {
			// a peer rotated: the fleet's schedule counts from its switch
			since = fleet.since();
		}
		return !now.isBefore(since.plus(this.properties.interval()));
	}

	private void submit(ServiceDescriptor service, KeyRotation rotation) {
		this.executor.execute(() -> run(service, rotation));
	}

	private void run(ServiceDescriptor service, KeyRotation rotation) {
		try {
			if (rotation.step() == KeyRotation.Step.REGENERATE_STANDBY) {
				this.client.regenerateKey(service, rotation.standby());
				rotation.moveTo(KeyRotation.Step.SWITCH);
			}
			if (rotation.step() == KeyRotation.Step.SWITCH) {
				switchTo(service, rotation);
				rotation.waitUntil(this.clock.instant().plus(this.properties.grace()));
				logger.info("Key rotation {} of service '{}' serves the {} key; the {} key stays valid until {}",
						rotation.id(), service.name(), rotation.standby(), rotation.retired(), rotation.graceUntil());
				return;
			}
			if (rotation.step() == KeyRotation.Step.REGENERATE_RETIRED) {
				this.client.regenerateKey(service, rotation.retired());
				rotation.succeeded(this.clock.instant());
				releaseLock(service);
				audit(rotation, "succeeded");
			}
		}
		catch (RuntimeException ex) {
			String failure = (ex instanceof UpstreamException upstream)
					? upstream.getKind().tag() + ": " + upstream.getMessage() : ex.getClass().getSimpleName();
			rotation.failed(failure, this.clock.instant());
			releaseLock(service);
			logger.warn("Key rotation {} of service '{}' failed at {}: {}; the {} key is served", rotation.id(),
					service.name(), rotation.step(), failure, this.slots.served(service.name()));
			audit(rotation, "failed");
		}
	}

	/**
	 * Serve the standby key; if the broker cannot load it, keep serving the retired one,
	 * which still works.
	 */
	private void switchTo(ServiceDescriptor service, KeyRotation rotation) {
		this.slots.serve(service.name(), rotation.standby());
		try {
			this.cache.reload(service).get(this.properties.timeout().toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (Exception ex) {
			this.slots.serve(service.name(), rotation.retired());
			Throwable cause = (ex instanceof java.util.concurrent.ExecutionException) ? ex.getCause() : ex;
			throw (cause instanceof RuntimeException runtime) ? runtime
					: new IllegalStateException("Loading the new key failed", cause);
		}
		if (this.coordination.isCoordinated()) {
			try {
				this.coordination.publish(service,
						new KeySlotCoordination.ServedSlot(rotation.standby(), this.clock.instant(), rotation.id()));
			}
			catch (RuntimeException ex) {
				// unpublished, the peers would keep serving the key this rotation
				// regenerates after the grace period
				this.slots.serve(service.name(), rotation.retired());
				this.cache.reload(service);
				throw ex;
			}
		}
	}

	/**
	 * One audit event per finished rotation: the text line as before, and the same facts
	 * as key-value pairs, which structured logs (ECS, Logstash) write as fields of their
	 * own. ECS's {@code event.outcome} takes {@code success} or {@code failure}.
	 */
	private static void audit(KeyRotation rotation, String outcome) {
		audit.atInfo()
			.setMessage("key-rotation id={} service={} requestedBy={} slots={}->{} step={} outcome={}")
			.addArgument(rotation.id())
			.addArgument(rotation.service())
			.addArgument(rotation.requestedBy())
			.addArgument(rotation.retired())
			.addArgument(rotation.standby())
			.addArgument(rotation.step())
			.addArgument(outcome)
			.addKeyValue("event.kind", "event")
			.addKeyValue("event.category", "configuration")
			.addKeyValue("event.action", "key-rotation")
			.addKeyValue("event.outcome", "succeeded".equals(outcome) ? "success" : "failure")
			.addKeyValue("broker.service", String.valueOf(rotation.service()))
			.addKeyValue("broker.rotation.id", rotation.id())
			.addKeyValue("broker.rotation.requested_by", rotation.requestedBy())
			.addKeyValue("broker.rotation.retired_slot", String.valueOf(rotation.retired()))
			.addKeyValue("broker.rotation.standby_slot", String.valueOf(rotation.standby()))
			.addKeyValue("broker.rotation.step", String.valueOf(rotation.step()))
			.addKeyValue("broker.rotation.outcome", outcome)
			.log();
	}

}
