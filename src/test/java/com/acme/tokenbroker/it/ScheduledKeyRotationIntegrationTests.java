package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.keys.KeyRotation;
import com.acme.tokenbroker.keys.KeyRotator;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.FastPolls;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.JsonLogCapture;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RefreshTicks;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scheduled key rotation ({@code broker.keys.rotation.interval}, issue 12, "untested
 * paths"): the real refresher thread ticks every 100 ms while the test moves virtual
 * time. Every key-auth service is rotated once per interval, by the same rotation the
 * admin endpoint starts and reports, never before its time, and never a second one while
 * one runs.
 */
@SimulatedWorkspaceTest(testCatalog = false)
@ExtendWith(OutputCaptureExtension.class)
@Import({ FastPolls.class, RefreshTicks.class })
class ScheduledKeyRotationIntegrationTests {

	static final Duration INTERVAL = Duration.ofHours(1);

	static final Duration GRACE = Duration.ofMinutes(15);

	/**
	 * The rotator counts its first interval from its creation, at this instant of virtual
	 * time.
	 */
	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Instant START = CLOCK.instant();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("sched-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.add("sched-v2", "weu", ServiceKind.ONLINE_ENDPOINT, AuthMode.KEY)
		.add("tok-v1", "weu", ServiceKind.WEBSERVICE)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)).asyncRegeneration(2));

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
		registry.add("broker.tokens.refresh-check-interval", () -> "100ms");
		registry.add("broker.keys.rotation.interval", INTERVAL::toString);
		registry.add("broker.keys.rotation.grace", GRACE::toString);
		registry.add("broker.access.admin-rules[0].issuer", SIMULATOR::entraIssuer);
		registry.add("broker.access.admin-rules[0].subjects[0]", () -> "ops-admin");
		registry.add("broker.access.admin-rules[0].services[0]", () -> "*");
	}

	@Autowired
	KeyRotator rotator;

	@Autowired
	RefreshTicks ticks;

	@Autowired
	MeterRegistry meters;

	@Autowired
	Http api;

	private static String caller(String subject) {
		return CallerTokens.mint(SIMULATOR, subject, Duration.ofHours(1));
	}

	private String servedKey(String service) {
		Http.Response response = this.api.get("/tokens/" + service, caller("app"));
		assertThat(response.status()).as(response.body()).isEqualTo(200);
		return response.json().get("accessToken").stringValue();
	}

	private KeyRotation rotation(String service) {
		return this.rotator.rotation(ServiceName.of(service));
	}

	private static long regenerations() {
		return SIMULATOR.callCount("westeurope", Operation.MMS_REGENERATE_KEYS)
				+ SIMULATOR.callCount("westeurope", Operation.ARM_REGENERATE_KEYS);
	}

	/**
	 * Let the key rotation's tick run a few times at the current virtual time (it runs on
	 * a thread of its own: the test's {@link RefreshTicks} ticking says nothing of it).
	 */
	private void awaitTicks() {
		double target = keyRotationRuns() + 3;
		await().atMost(Duration.ofSeconds(20)).until(() -> keyRotationRuns() >= target);
	}

	private double keyRotationRuns() {
		FunctionCounter runs = this.meters.find("broker.refresh.ticks").tag("tick", "key-rotation").functionCounter();
		return (runs != null) ? runs.count() : 0;
	}

	private static void awaitStatus(KeyRotation rotation, KeyRotation.Status status) {
		await().atMost(Duration.ofSeconds(30)).until(() -> rotation.status() == status);
	}

	/** The audit events as a log collector receives them from the chart's brokers. */
	private JsonLogCapture auditEvents;

	@BeforeEach
	void captureAuditEvents() {
		this.auditEvents = JsonLogCapture.of("com.acme.tokenbroker.audit", "ecs");
	}

	@AfterEach
	void stopCapturingAuditEvents() {
		this.auditEvents.close();
	}

	@Test
	void everyKeyServiceIsRotatedOncePerIntervalByTheAdminEndpointsRotationAndNeverTwoAtOnce(CapturedOutput output) {
		String firstKey = servedKey("sched-v1");
		assertThat(firstKey).isEqualTo(SIMULATOR.keys("ws-weu", "sched-v1").primaryKey());
		servedKey("sched-v2");

		// Not before its time
		CLOCK.set(START.plus(INTERVAL).minusSeconds(1));
		awaitTicks();
		assertThat(rotation("sched-v1")).isNull();
		assertThat(rotation("sched-v2")).isNull();
		assertThat(regenerations()).isZero();

		// Due: both key services rotate, requested by the schedule; the token service is
		// left alone
		CLOCK.set(START.plus(INTERVAL));
		await().atMost(Duration.ofSeconds(30))
			.until(() -> rotation("sched-v1") != null && rotation("sched-v2") != null);
		KeyRotation first = rotation("sched-v1");
		awaitStatus(first, KeyRotation.Status.WAITING);
		awaitStatus(rotation("sched-v2"), KeyRotation.Status.WAITING);
		assertThat(first.requestedBy()).isEqualTo("schedule");
		assertThat(rotation("tok-v1")).isNull();
		assertThat(servedKey("sched-v1")).as("the new key is served during the grace period")
			.isEqualTo(SIMULATOR.keys("ws-weu", "sched-v1").secondaryKey());
		assertThat(regenerations()).as("each service's standby key, once").isEqualTo(2);

		// The admin endpoint sees the scheduled rotation, and asking again joins it
		Http.Response reported = this.api.get("/admin/services/sched-v1/keys/rotation", caller("ops-admin"));
		assertThat(reported.status()).as(reported.body()).isEqualTo(200);
		assertThat(reported.json().get("id").stringValue()).isEqualTo(first.id());
		Http.Response asked = this.api.postWithBearer("/admin/services/sched-v1/keys/rotate", caller("ops-admin"));
		assertThat(asked.json().get("id").stringValue()).as("one rotation at a time").isEqualTo(first.id());

		// Ticks through the grace period, past a whole interval since it started: no
		// second rotation meanwhile
		CLOCK.set(first.graceUntil().minusSeconds(1));
		awaitTicks();
		assertThat(rotation("sched-v1")).isSameAs(first);
		assertThat(first.status()).isEqualTo(KeyRotation.Status.WAITING);
		assertThat(regenerations()).isEqualTo(2);

		CLOCK.set(first.graceUntil());
		awaitStatus(first, KeyRotation.Status.SUCCEEDED);
		awaitStatus(rotation("sched-v2"), KeyRotation.Status.SUCCEEDED);
		assertThat(regenerations()).as("each service's retired key, once").isEqualTo(4);
		assertThat(SIMULATOR.keys("ws-weu", "sched-v1").primaryKey()).as("the retired key was regenerated")
			.isNotEqualTo(firstKey);

		// The next interval counts from the end of the last rotation
		Instant finished = first.finishedAt();
		CLOCK.set(finished.plus(INTERVAL).minusSeconds(1));
		awaitTicks();
		assertThat(rotation("sched-v1")).isSameAs(first);
		assertThat(regenerations()).isEqualTo(4);

		CLOCK.set(finished.plus(INTERVAL));
		await().atMost(Duration.ofSeconds(30)).until(() -> rotation("sched-v1") != first);
		KeyRotation second = rotation("sched-v1");
		awaitStatus(second, KeyRotation.Status.WAITING);
		assertThat(second.requestedBy()).isEqualTo("schedule");
		assertThat(second.standby()).as("back to the other slot").isEqualTo(first.retired());
		assertThat(servedKey("sched-v1")).isEqualTo(SIMULATOR.keys("ws-weu", "sched-v1").primaryKey());

		String audit = output.getAll()
			.lines()
			.filter((line) -> line.contains("key-rotation id=" + first.id()))
			.reduce("", String::concat);
		assertThat(audit).contains("requestedBy=schedule").contains("outcome=succeeded");
		// Issue 15, item 2: the same facts as fields of a structured event
		JsonNode event = this.auditEvents.events()
			.stream()
			.filter((line) -> first.id().equals(line.at("/broker/rotation/id").asString(null)))
			.findFirst()
			.orElseThrow();
		assertThat(event.at("/event/action").asString()).isEqualTo("key-rotation");
		assertThat(event.at("/event/outcome").asString()).isEqualTo("success");
		assertThat(event.at("/broker/service").asString()).isEqualTo("sched-v1");
		assertThat(event.at("/broker/rotation/requested_by").asString()).isEqualTo("schedule");
		assertThat(event.at("/broker/rotation/outcome").asString()).isEqualTo("succeeded");
		assertThat(event.at("/broker/rotation/step").asString()).isEqualTo("DONE");
		assertThat(event.at("/broker/rotation/retired_slot").asString()).isEqualTo(first.retired().toString());
		assertThat(event.at("/broker/rotation/standby_slot").asString()).isEqualTo(first.standby().toString());
		assertThat(event.at("/log/logger").asString()).isEqualTo("com.acme.tokenbroker.audit");
		assertThat(event.at("/message").asString()).startsWith("key-rotation id=" + first.id());
	}

}
