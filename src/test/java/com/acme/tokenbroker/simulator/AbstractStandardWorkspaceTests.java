package com.acme.tokenbroker.simulator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.support.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.OTHER_REGION;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;

/**
 * The set-up the simulator's test classes share: {@link Fixtures#standard} on a
 * {@link MutableClock}, launched once per class and closed after it, an HTTP client that
 * trusts it and an ARM token of {@link Fixtures#SECRET_CLIENT}. Before each test the
 * clock goes back to {@link #start()}, every service to its initial auth mode and the
 * recording (calls and counts) is cleared; after each test every fault is cleared, so
 * that no test sees another's state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractStandardWorkspaceTests {

	/** A fixed start, for classes that assert token times to the second. */
	static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

	/** Every secret the simulator issued, for leak and issuance assertions. */
	final Set<String> issued = ConcurrentHashMap.newKeySet();

	/** The certificate of {@link Fixtures#CERT_CLIENT}, with its private key. */
	final SelfSignedCertificate clientCertificate = SelfSignedCertificate.forClient(CERT_CLIENT);

	MutableClock clock;

	SimulatedWorkspace sim;

	TestHttp http;

	/** An ARM-scoped Entra token of {@link Fixtures#SECRET_CLIENT}, a Reader. */
	String bearer;

	private final Instant fixedStart;

	/**
	 * The clock starts, and goes back before each test, at the current second, as clients
	 * that check expiry by the wall clock (azure-identity) expect.
	 */
	AbstractStandardWorkspaceTests() {
		this(null);
	}

	/**
	 * @param start where the clock starts and goes back to before each test, for a class
	 * that asserts token times to the second
	 */
	AbstractStandardWorkspaceTests(Instant start) {
		this.fixedStart = start;
	}

	@BeforeAll
	void startSimulator() throws Exception {
		this.clock = new MutableClock(start());
		this.sim = customize(Fixtures.standard(this.clock, this.clientCertificate, this.issued::add)).start();
		this.http = new TestHttp(this.sim);
		this.bearer = this.http.entraToken(SECRET_CLIENT, SECRET);
	}

	@AfterAll
	void closeSimulator() {
		this.sim.close();
	}

	@BeforeEach
	void resetSimulator() {
		this.clock.set(start());
		Fixtures.resetAuthModes(this.sim);
		this.sim.clearRecording();
	}

	@AfterEach
	void clearFaults() {
		this.sim.entraFaults().clear();
		for (String region : List.of(REGION, OTHER_REGION)) {
			this.sim.faults(region).clear();
			for (Operation operation : Operation.values()) {
				this.sim.faults(region, operation).clear();
			}
		}
	}

	private Instant start() {
		return (this.fixedStart != null) ? this.fixedStart : Instant.now().truncatedTo(ChronoUnit.SECONDS);
	}

	/**
	 * Add to {@link Fixtures#standard} what a class needs beyond it.
	 * @param builder the standard estate
	 * @return the builder to start
	 */
	SimulatedWorkspaceBuilder customize(SimulatedWorkspaceBuilder builder) {
		return builder;
	}

}
