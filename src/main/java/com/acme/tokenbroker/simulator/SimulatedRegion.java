package com.acme.tokenbroker.simulator;

import java.time.Clock;
import java.util.function.Supplier;

/**
 * One simulated Azure region: the control plane of the workspaces located in it, in its
 * two APIs ({@link ModelManagementDialect MMS v1} and {@link ResourceManagerDialect ARM
 * v2}), and the {@link Scoring data plane} of their services. Every control-plane call
 * needs an Entra bearer for Azure Resource Manager and a role on the workspace
 * ({@link ControlPlaneGate}); service tokens are JWTs signed with the workspace's own key
 * ({@link ServiceTokens}).
 * <p>
 * Key regenerations are asynchronous unless {@code pollsUntilDone} is 0
 * ({@link RegenerationOperations}).
 */
final class SimulatedRegion implements Listener.Api {

	private final RegionContext region;

	private final ControlPlaneGate gate;

	private final ServiceTokens tokens;

	private final Scoring scoring;

	private final RegenerationOperations operations;

	private final ResourceBodies bodies;

	private final ControlPlaneDialect mms;

	private final ControlPlaneDialect arm;

	SimulatedRegion(String region, Directory directory, SimulatedEntra entra, Supplier<Clock> clock,
			IssuanceObserver observer, int pollsUntilDone) {
		this.region = new RegionContext(region, directory, entra, clock, observer);
		this.gate = new ControlPlaneGate(this.region);
		this.tokens = new ServiceTokens(this.region);
		this.scoring = new Scoring(this.region, this.tokens);
		this.operations = new RegenerationOperations(this.region, pollsUntilDone);
		this.bodies = new ResourceBodies(this.region);
		ControlPlaneParts parts = new ControlPlaneParts(this.region, this.gate, this.operations);
		this.mms = new ModelManagementDialect(parts);
		this.arm = new ResourceManagerDialect(parts);
	}

	void bound(int port) {
		this.region.bound(port);
	}

	String baseUrl() {
		return this.region.baseUrl();
	}

	/**
	 * The scoring URI of a service of a workspace in this region.
	 */
	String scoringUri(String workspace, String service) {
		return this.region.scoringUri(workspace, service);
	}

	/**
	 * Whether {@code token} is a service token this region issued for the service and is
	 * still valid by the simulator's clock.
	 */
	boolean acceptsServiceToken(Directory.Workspace workspace, String service, String token) {
		return this.tokens.accepts(workspace, service, token);
	}

	// ---- Listener.Api

	@Override
	public Operation classify(SimRequest request) {
		for (ControlPlaneDialect dialect : new ControlPlaneDialect[] { this.mms, this.arm }) {
			Operation operation = dialect.classify(request.method(), request.path());
			if (operation != null) {
				return operation;
			}
		}
		return Scoring.classify(request);
	}

	/**
	 * Scoring is the data plane: the region's faults do not apply to it, so tests of key
	 * rotation measure the broker, not the faults.
	 */
	@Override
	public boolean isFaultable(Operation operation) {
		return operation != Operation.SCORE;
	}

	/**
	 * Scoring is counted but not recorded: callers score in loops, which would push the
	 * control-plane exchanges out of the bounded recording.
	 */
	@Override
	public boolean isRecorded(Operation operation) {
		return operation != Operation.SCORE;
	}

	@Override
	public SimResponse handle(SimRequest request, Operation operation, Fault fault) {
		if (operation == Operation.SCORE) {
			return this.scoring.score(request, fault);
		}
		ControlPlaneDialect dialect = request.path().startsWith("/modelmanagement/") ? this.mms : this.arm;
		SimResponse faulted = faulted(dialect, operation, fault);
		if (faulted != null) {
			return faulted;
		}
		if (operation == dialect.spec().pollOperation()) {
			return dialect.poll(request);
		}
		ControlPlaneDialect.ServicePath path = (operation != Operation.UNKNOWN)
				? dialect.spec().servicePath(request.path()) : null;
		if (path == null) {
			return ControlPlaneGate.unknown(dialect, request);
		}
		ControlPlaneGate.Admission admission = this.gate.admit(dialect, request, path.subscriptionId(),
				path.resourceGroup(), path.workspace(), operation);
		if (admission.refusal() != null) {
			return admission.refusal();
		}
		Directory.Workspace workspace = admission.workspace();
		Directory.Service service = dialect.services(workspace).get(path.service());
		if (service == null) {
			return dialect.serviceNotFound(path.workspace(), path.resourceGroup(), path.service());
		}
		return switch (operation) {
			case MMS_TOKEN,
					ARM_TOKEN ->
				(service.auth().mode() == AuthMode.AML_TOKEN)
						? dialect.token(this.tokens.issue(workspace, service, fault), fault)
						: dialect.wrongMode(service, AuthMode.AML_TOKEN);
			case MMS_GET_SERVICE, ARM_GET_ENDPOINT ->
				dialect.withRequestIds(SimResponse.json(200, this.bodies.of(workspace, service, fault)), "reads");
			case MMS_LIST_KEYS,
					ARM_LIST_KEYS ->
				(service.auth().mode() == AuthMode.KEY) ? dialect.withRequestIds(
						SimResponse.json(200, ControlPlaneDialect.keysBody(service.auth().keys(), fault)), "writes")
						: dialect.wrongMode(service, AuthMode.KEY);
			case MMS_REGENERATE_KEYS,
					ARM_REGENERATE_KEYS ->
				(service.auth().mode() == AuthMode.KEY)
						? this.operations.regenerate(dialect, request, workspace, service, fault)
						: dialect.wrongMode(service, AuthMode.KEY);
			default -> ControlPlaneGate.unknown(dialect, request);
		};
	}

	/**
	 * The answer a fault makes instead of the operation's, or {@code null}.
	 */
	private static SimResponse faulted(ControlPlaneDialect dialect, Operation operation, Fault fault) {
		return switch (fault.kind()) {
			case THROTTLED -> dialect
				.error(429, "TooManyRequests",
						"The request was throttled. Retry after " + fault.duration().toSeconds() + " seconds.")
				.withHeader("Retry-After", Long.toString(fault.duration().toSeconds()));
			case ERROR -> dialect.error(fault.status(), ControlPlaneGate.errorCode(fault.status()),
					"The service encountered a simulated error.");
			case MALFORMED ->
				SimResponse.text((operation == Operation.MMS_TOKEN) ? 201 : 200, "text/html; charset=utf-8",
						"<html><head><title>Service Unavailable</title></head><body>upstream proxy</body></html>");
			default -> null;
		};
	}

	@Override
	public String toString() {
		return "SimulatedRegion[" + this.region + "]";
	}

}
