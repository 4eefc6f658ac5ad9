package com.acme.tokenbroker.simulator;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The key regenerations of one region. They are asynchronous unless
 * {@code pollsUntilDone} is 0: they report {@code Running} for that many polls and
 * complete on the next one (§3.7, §4); each API reports them in its own way.
 */
final class RegenerationOperations {

	private final RegionContext region;

	private final int pollsUntilDone;

	private final Map<String, RegenerationOperation> operations = new ConcurrentHashMap<>();

	RegenerationOperations(RegionContext region, int pollsUntilDone) {
		this.region = region;
		this.pollsUntilDone = pollsUntilDone;
	}

	/**
	 * Start a regeneration of a key service's key, or complete it at once.
	 */
	SimResponse regenerate(ControlPlaneDialect dialect, SimRequest request, Directory.Workspace workspace,
			Directory.Service service, Fault fault) {
		KeyRequest keyRequest;
		try {
			keyRequest = KeyRequest.parse(request.body());
		}
		catch (IllegalArgumentException ex) {
			return dialect.error(400, "BadRequest", ex.getMessage());
		}
		if (keyRequest.keyValue() != null) {
			this.region.observer().issued(keyRequest.keyValue());
		}
		if (fault.kind() == Fault.Kind.MISSING_FIELDS && this.pollsUntilDone > 0) {
			// Accepted without a URL to poll: nothing will ever change.
			return dialect.withRequestIds(SimResponse.empty(202), "writes");
		}
		Instant now = this.region.now();
		RegenerationOperation operation = new RegenerationOperation(UUID.randomUUID().toString(), dialect, workspace,
				service, keyRequest.slot(), keyRequest.keyValue(), service.auth().takeRegenerationFailure(), now,
				this.pollsUntilDone);
		if (this.pollsUntilDone == 0) {
			RegenerationOperation.Snapshot done = operation.completeNow(now, this.region.observer()::issued);
			if (done.state() == RegenerationOperation.State.FAILED) {
				return failed(dialect, service);
			}
			return dialect.regenerated(service, fault);
		}
		this.operations.put(operation.id(), operation);
		return dialect.accepted(request, workspace, operation.id());
	}

	/**
	 * The operation with this id started through this API, or {@code null}.
	 */
	RegenerationOperation find(String id, ControlPlaneDialect dialect) {
		RegenerationOperation operation = this.operations.get(id);
		return (operation != null && operation.isOf(dialect)) ? operation : null;
	}

	/**
	 * Count one poll of an operation and return what it reports.
	 */
	RegenerationOperation.Snapshot poll(RegenerationOperation operation) {
		return operation.poll(this.region.now(), this.region.observer()::issued);
	}

	static SimResponse failed(ControlPlaneDialect dialect, Directory.Service service) {
		return dialect.error(500, "InternalServerError", failure(service));
	}

	static String failure(Directory.Service service) {
		return "Regenerating a key of " + service.name() + " failed (simulated); the keys are unchanged.";
	}

}
