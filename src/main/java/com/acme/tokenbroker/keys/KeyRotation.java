package com.acme.tokenbroker.keys;

import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.upstream.KeySlot;

/**
 * One rotation of a service's keys, as a small state machine the {@link KeyRotator}
 * advances: {@code REGENERATE_STANDBY} (regenerate the key not being served) →
 * {@code SWITCH} (serve it) → {@code GRACE} (let callers move over) →
 * {@code REGENERATE_RETIRED} (regenerate the key served before) → {@code DONE}. A failure
 * stops it at its step with a working key still served; asking again resumes from that
 * step.
 */
public final class KeyRotation {

	/** The steps, in order. */
	public enum Step {

		REGENERATE_STANDBY, SWITCH, GRACE, REGENERATE_RETIRED, DONE

	}

	/** Where it stands. */
	public enum Status {

		RUNNING, WAITING, SUCCEEDED, FAILED

	}

	private final String id;

	private final ServiceName service;

	private final KeySlot retired;

	private final KeySlot standby;

	private final String requestedBy;

	private final Instant startedAt;

	private volatile Step step = Step.REGENERATE_STANDBY;

	private volatile Status status = Status.RUNNING;

	private volatile Instant graceUntil;

	private volatile Instant finishedAt;

	private volatile String failure;

	KeyRotation(String id, ServiceName service, KeySlot retired, String requestedBy, Instant startedAt) {
		this.id = id;
		this.service = service;
		this.retired = retired;
		this.standby = retired.other();
		this.requestedBy = requestedBy;
		this.startedAt = startedAt;
	}

	public String id() {
		return this.id;
	}

	public ServiceName service() {
		return this.service;
	}

	public KeySlot retired() {
		return this.retired;
	}

	public KeySlot standby() {
		return this.standby;
	}

	public String requestedBy() {
		return this.requestedBy;
	}

	public Instant startedAt() {
		return this.startedAt;
	}

	public Step step() {
		return this.step;
	}

	public Status status() {
		return this.status;
	}

	public Instant graceUntil() {
		return this.graceUntil;
	}

	public Instant finishedAt() {
		return this.finishedAt;
	}

	/**
	 * @return the failure's class and message, never a key
	 */
	public String failure() {
		return this.failure;
	}

	boolean isActive() {
		return this.status == Status.RUNNING || this.status == Status.WAITING;
	}

	void moveTo(Step next) {
		this.step = next;
	}

	void running() {
		this.status = Status.RUNNING;
		this.failure = null;
	}

	void waitUntil(Instant until) {
		this.graceUntil = until;
		this.step = Step.GRACE;
		this.status = Status.WAITING;
	}

	void succeeded(Instant at) {
		this.step = Step.DONE;
		this.status = Status.SUCCEEDED;
		this.finishedAt = at;
	}

	void failed(String failure, Instant at) {
		this.status = Status.FAILED;
		this.failure = failure;
		this.finishedAt = at;
	}

}
