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
import com.acme.tokenbroker.token.KeySlots;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.upstream.UpstreamException;
import com.acme.tokenbroker.upstream.UpstreamTokenClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates a key-auth service's keys without breaking its callers:
 * <ol>
 * <li>regenerate the key that is not being served (waiting for an asynchronous regeneration to finish);</li>
 * <li>switch the served key to it and reload the cache, so callers get the new key at their next fetch;</li>
 * <li>wait the grace period, longer than any caller's {@code refreshBy}: the old key still works meanwhile;</li>
 * <li>regenerate the old key.</li>
 * </ol>
 * At every step a working key is served: the new key is served only once it exists, and the old one is regenerated
 * only after callers moved over. A rotation is idempotent: asking while one runs returns it; asking after one failed
 * resumes it from the failed step. The grace wait runs on the injected clock ({@link #advance()} is called by the
 * refresher). Each rotation that ends writes one audit line (who, which service, which slots, outcome), never a key.
 */
public class KeyRotator {

	private static final Logger logger = LoggerFactory.getLogger(KeyRotator.class);

	private static final Logger audit = LoggerFactory.getLogger("com.acme.tokenbroker.audit");

	private final ServiceCatalog catalog;

	private final UpstreamTokenClient client;

	private final TokenCache cache;

	private final KeySlots slots;

	private final KeyRotationProperties properties;

	private final Executor executor;

	private final Clock clock;

	private final Map<ServiceName, KeyRotation> rotations = new ConcurrentHashMap<>();

	private final Instant createdAt;

	public KeyRotator(ServiceCatalog catalog, UpstreamTokenClient client, TokenCache cache, KeySlots slots,
			KeyRotationProperties properties, Executor executor, Clock clock) {
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
		KeyRotation rotation = current;
		if (rotation == null || rotation.status() != KeyRotation.Status.FAILED) {
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
	 * @param service a service
	 * @return its last rotation, or {@code null}
	 */
	public KeyRotation rotation(ServiceName service) {
		return this.rotations.get(service);
	}

	/**
	 * Move rotations whose grace period is over to their last step, and start scheduled rotations that are due.
	 * Called by the refresher on every tick.
	 */
	public void advance() {
		Instant now = this.clock.instant();
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
				if (usesKeys(service) && isDue(service, now)) {
					rotate(service, "schedule");
				}
			}
		}
	}

	/**
	 * @param service a service
	 * @return whether the broker serves it a key: configured so, or its cached credential is one
	 */
	public boolean usesKeys(ServiceDescriptor service) {
		if (service.authMode() == com.acme.tokenbroker.catalog.AuthMode.KEY) {
			return true;
		}
		BrokeredToken token = this.cache.current(service.name());
		return token != null && com.acme.tokenbroker.catalog.AuthMode.KEY.credentialType().equals(token.credentialType());
	}

	private boolean isDue(ServiceDescriptor service, Instant now) {
		KeyRotation last = this.rotations.get(service.name());
		if (last != null && (last.isActive() || last.status() == KeyRotation.Status.FAILED)) {
			return last.status() == KeyRotation.Status.FAILED
					&& !now.isBefore(last.finishedAt().plus(this.properties.interval()));
		}
		Instant since = (last != null) ? last.finishedAt() : this.createdAt;
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
				audit(rotation, "succeeded");
			}
		}
		catch (RuntimeException ex) {
			String failure = (ex instanceof UpstreamException upstream) ? upstream.getKind().tag() + ": " + upstream.getMessage()
					: ex.getClass().getSimpleName();
			rotation.failed(failure, this.clock.instant());
			logger.warn("Key rotation {} of service '{}' failed at {}: {}; the {} key is served", rotation.id(),
					service.name(), rotation.step(), failure, this.slots.served(service.name()));
			audit(rotation, "failed");
		}
	}

	/** Serve the standby key; if the broker cannot load it, keep serving the retired one, which still works. */
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
	}

	private static void audit(KeyRotation rotation, String outcome) {
		audit.info("key-rotation id={} service={} requestedBy={} slots={}->{} step={} outcome={}", rotation.id(),
				rotation.service(), rotation.requestedBy(), rotation.retired(), rotation.standby(), rotation.step(),
				outcome);
	}

}
