package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RefreshTicks;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.TokenCache;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The background scheduler itself ({@code TokenRefresher} on
 * {@code broker.tokens.refresh-check-interval}), which every other integration test
 * switches off to call {@code runDueRefreshes()} by hand (issue 12, "untested paths").
 * Here it runs for real every 100 ms; the test only moves virtual time and waits,
 * bounded, for the refresh to happen.
 */
// Over the harness's 0 (no background thread)
@SimulatedWorkspaceTest(properties = "broker.tokens.refresh-check-interval=100ms")
@Import(RefreshTicks.class)
class BackgroundSchedulerIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	@Autowired
	Http api;

	@Autowired
	TokenCache cache;

	/** Ticks of the refresher's thread. */
	@Autowired
	RefreshTicks ticks;

	private static long tokenCalls() {
		return SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN);
	}

	@Test
	void theSchedulerRefreshesADueTokenWithoutAnyManualCall() {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(2));
		Http.Response first = this.api.get("/tokens/v1-weu", caller);
		assertThat(first.status()).as(first.body()).isEqualTo(200);
		long afterFirstFetch = tokenCalls();
		Instant due = this.cache.state(ServiceName.of("v1-weu")).nextAttemptAt();

		// Before the refresh time: the thread ticks, and refreshes nothing
		long ticks = this.ticks.count();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.ticks.count() >= ticks + 3);
		assertThat(tokenCalls()).as("no refresh before its time").isEqualTo(afterFirstFetch);

		CLOCK.set(due);

		await().atMost(Duration.ofSeconds(10)).until(() -> tokenCalls() > afterFirstFetch);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.cache.state(ServiceName.of("v1-weu")).nextAttemptAt().isAfter(due));
		Http.Response refreshed = this.api.get("/tokens/v1-weu", caller);
		assertThat(refreshed.json().get("accessToken").stringValue()).as("the scheduler's refresh is served")
			.isNotEqualTo(first.json().get("accessToken").stringValue());
		assertThat(refreshed.json().get("stale").booleanValue()).isFalse();
		assertThat(tokenCalls() - afterFirstFetch).as("one refresh, no fetch on the request path").isEqualTo(1);
	}

}
