package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.JsonLogCapture;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RefreshTicks;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.RefreshTick;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.token.TokenRefresher;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A tick that hangs (a file sink on a stalled network mount, a key rotation waiting on
 * the upstream) does not stop the refresher: due refreshes go on, and so do the other
 * ticks. Each tick runs off the scheduler's thread, one run at a time.
 */
@SimulatedWorkspaceTest(properties = "broker.tokens.refresh-check-interval=100ms")
// its context holds a thread in a tick until the class ends: not one to reuse
@DirtiesContext
@Import({ RefreshTicks.class, HungRefreshTickIntegrationTests.HangingTick.class })
class HungRefreshTickIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final CountDownLatch RELEASE = new CountDownLatch(1);

	@Autowired
	Http api;

	@Autowired
	TokenCache cache;

	@Autowired
	RefreshTicks ticks;

	@Autowired
	HangingTick hanging;

	@Autowired
	MeterRegistry meters;

	@AfterAll
	static void release() {
		RELEASE.countDown();
	}

	@Test
	void aHungTickHoldsUpNeitherDueRefreshesNorTheOtherTicks() {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(2));
		Http.Response first = this.api.get("/tokens/v1-weu", caller);
		assertThat(first.status()).as(first.body()).isEqualTo(200);
		long afterFirstFetch = SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN);
		Instant due = this.cache.state(ServiceName.of("v1-weu")).nextAttemptAt();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.hanging.runs() > 0);
		long ticks = this.ticks.count();

		List<String> warnings;
		try (JsonLogCapture log = JsonLogCapture.of(TokenRefresher.class.getName(), "ecs")) {
			CLOCK.set(due);

			await().atMost(Duration.ofSeconds(10))
				.until(() -> SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN) > afterFirstFetch);
			await().atMost(Duration.ofSeconds(10)).until(() -> this.ticks.count() >= ticks + 3);
			warnings = log.events()
				.stream()
				.map((event) -> event.path("message").asString())
				.filter((message) -> message.startsWith("Refresh tick 'HangingTick' has been running for "))
				.toList();
		}
		// the clock went past the 30 s at once: said once, however many ticks are skipped
		assertThat(warnings).hasSize(1);
		assertThat(warnings.get(0)).endsWith("s; its ticks are skipped until it returns");
		assertThat(this.hanging.runs()).as("the hung tick is not run again while it hangs").isEqualTo(1);
		assertThat(this.meters.get("broker.refresh.tick.running").tag("tick", "HangingTick").gauge().value())
			.as("how long the hung run has been going")
			.isPositive();
		assertThat(this.meters.get("broker.refresh.ticks").tag("tick", "HangingTick").functionCounter().count())
			.as("runs that ended")
			.isZero();
		assertThat(this.meters.get("broker.refresh.ticks").tag("tick", "RefreshTicks").functionCounter().count())
			.isGreaterThanOrEqualTo(3);
	}

	/** A tick whose first run never returns until the test ends. */
	static class HangingTick implements RefreshTick {

		private final AtomicInteger runs = new AtomicInteger();

		@Override
		public void onTick() {
			this.runs.incrementAndGet();
			try {
				RELEASE.await(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		int runs() {
			return this.runs.get();
		}

	}

}
