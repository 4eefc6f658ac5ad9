package com.acme.tokenbroker.keys;

import java.time.Duration;
import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.upstream.KeySlot;

/**
 * How the broker instances of a deployment agree on key rotation (issue 12, item 9): one
 * rotation lock per service, and a shared record of which key slot is served and since
 * when, which every instance follows at its next refresh check. In fleet mode Redis holds
 * both; without it ({@link #NONE}) every instance rotates and serves on its own, so the
 * admin endpoint says that other instances are not coordinated and the chart refuses
 * scheduled rotation with more than one instance.
 */
public interface KeySlotCoordination {

	/** A single instance's rotation: nothing is shared. */
	KeySlotCoordination NONE = new KeySlotCoordination() {

		@Override
		public boolean isCoordinated() {
			return false;
		}

		@Override
		public ServedSlot served(ServiceDescriptor service) {
			return null;
		}

		@Override
		public String tryLock(ServiceDescriptor service, Duration lease) {
			return "local";
		}

		@Override
		public void publish(ServiceDescriptor service, ServedSlot served) {
		}

		@Override
		public void unlock(ServiceDescriptor service, String owner) {
		}

	};

	/**
	 * @return whether the other instances follow this one's rotations
	 */
	boolean isCoordinated();

	/**
	 * @param service a key-auth service
	 * @return the slot the fleet serves, or {@code null} when no rotation has published
	 * one
	 * @throws CoordinationUnavailableException the shared record cannot be read
	 */
	ServedSlot served(ServiceDescriptor service);

	/**
	 * @param service a key-auth service
	 * @param lease how long the lock holds unless released (a crashed rotator's lock
	 * passes on after it)
	 * @return the owner token to release it with, or {@code null} when another instance
	 * rotates the service
	 * @throws CoordinationUnavailableException the lock cannot be taken
	 */
	String tryLock(ServiceDescriptor service, Duration lease);

	/**
	 * @param service a key-auth service
	 * @param served the slot now served by the fleet
	 * @throws CoordinationUnavailableException the record cannot be written
	 */
	void publish(ServiceDescriptor service, ServedSlot served);

	/**
	 * Release the lock if {@code owner} still holds it; a failure only lets the lease run
	 * out.
	 */
	void unlock(ServiceDescriptor service, String owner);

	/**
	 * The fleet's served slot.
	 *
	 * @param slot the slot every instance serves
	 * @param since when the rotation switched to it
	 * @param rotationId the rotation that switched
	 */
	record ServedSlot(KeySlot slot, Instant since, String rotationId) {

	}

	/**
	 * The shared record or lock is out of reach (Redis down): rotating now would leave
	 * other instances behind.
	 */
	class CoordinationUnavailableException extends RuntimeException {

		public CoordinationUnavailableException(String message, Throwable cause) {
			super(message, cause);
		}

	}

}
