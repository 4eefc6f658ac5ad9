package com.acme.tokenbroker.simulator;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * One asynchronous key regeneration (MMS v1 {@code Operation-Location}, ARM v2
 * {@code Location}). It reports {@code Running} for a fixed number of polls and then
 * completes on the next poll: the key changes at that moment, or, when the regeneration
 * was set to fail, the operation ends {@code Failed} and the keys stay as they were. It
 * advances only when polled; a faulted poll does not count. Thread-safe.
 */
final class RegenerationOperation {

	private final String id;

	private final ControlPlaneDialect dialect;

	private final Directory.Workspace workspace;

	private final Directory.Service service;

	private final KeyType slot;

	private final String keyValue;

	private final boolean fails;

	private final Instant createdAt;

	private int pollsLeft;

	private State state = State.RUNNING;

	private Instant endedAt;

	RegenerationOperation(String id, ControlPlaneDialect dialect, Directory.Workspace workspace,
			Directory.Service service, KeyType slot, String keyValue, boolean fails, Instant createdAt,
			int pollsUntilDone) {
		this.id = id;
		this.dialect = dialect;
		this.workspace = workspace;
		this.service = service;
		this.slot = slot;
		this.keyValue = keyValue;
		this.fails = fails;
		this.createdAt = createdAt;
		this.pollsLeft = pollsUntilDone;
	}

	String id() {
		return this.id;
	}

	/**
	 * Whether the operation was started through this API, the only one that polls it.
	 */
	boolean isOf(ControlPlaneDialect dialect) {
		return this.dialect == dialect;
	}

	Directory.Workspace workspace() {
		return this.workspace;
	}

	Directory.Service service() {
		return this.service;
	}

	/**
	 * Count one poll and return the state it reports; on completion a new key (the
	 * requested value, or a generated one handed to {@code issued} first) replaces the
	 * requested slot.
	 */
	synchronized Snapshot poll(Instant now, Consumer<String> issued) {
		if (this.state == State.RUNNING) {
			if (this.pollsLeft > 0) {
				this.pollsLeft--;
			}
			else {
				complete(now, issued);
			}
		}
		return new Snapshot(this.state, this.createdAt, this.endedAt);
	}

	/**
	 * Complete at once (synchronous regeneration).
	 */
	synchronized Snapshot completeNow(Instant now, Consumer<String> issued) {
		if (this.state == State.RUNNING) {
			complete(now, issued);
		}
		return new Snapshot(this.state, this.createdAt, this.endedAt);
	}

	private void complete(Instant now, Consumer<String> issued) {
		this.endedAt = now;
		if (this.fails) {
			this.state = State.FAILED;
			return;
		}
		String value = this.keyValue;
		if (value == null) {
			value = ServiceAuth.generateKey();
			issued.accept(value);
		}
		this.service.auth().replace(this.slot, value);
		this.state = State.SUCCEEDED;
	}

	@Override
	public String toString() {
		return "RegenerationOperation[" + this.id + " " + this.workspace.name() + "/" + this.service.name() + " "
				+ this.slot + "]";
	}

	enum State {

		RUNNING("Running", "InProgress"), SUCCEEDED("Succeeded", "Succeeded"), FAILED("Failed", "Failed");

		private final String mmsName;

		private final String armName;

		State(String mmsName, String armName) {
			this.mmsName = mmsName;
			this.armName = armName;
		}

		/** {@code AsyncOperationStatus.state}. */
		String mmsName() {
			return this.mmsName;
		}

		/** ARM {@code Azure-AsyncOperation} {@code status}. */
		String armName() {
			return this.armName;
		}

	}

	record Snapshot(State state, Instant createdAt, Instant endedAt) {
	}

}
