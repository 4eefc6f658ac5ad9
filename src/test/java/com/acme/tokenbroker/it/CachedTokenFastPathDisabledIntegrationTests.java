package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.List;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.PassedOnProbe;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code broker.tokens.fast-path=false}: every request, a repeated clean hit included,
 * takes the full chain, and the answers are those of the fast path's comparisons (same
 * head, same body).
 */
@SimulatedWorkspaceTest(properties = "broker.tokens.fast-path=false")
@Import(PassedOnProbe.class)
class CachedTokenFastPathDisabledIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	@Autowired
	RawHttp http;

	@Autowired
	PassedOnProbe passedOn;

	@Test
	void everyRequestTakesTheFullChainAndRepeatedHitsAnswerIdentically() {
		String token = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
		List<String> request = List.of("GET /tokens/v1-weu HTTP/1.1", "Host: localhost", "Accept: application/json",
				"Authorization: Bearer " + token);
		this.http.send(request); // the miss
		int before = this.passedOn.get();

		RawHttp.Response first = this.http.send(request);
		RawHttp.Response second = this.http.send(request);

		assertThat(this.passedOn.get() - before).isEqualTo(2);
		assertThat(first.status()).isEqualTo(200);
		assertThat(second.comparable()).isEqualTo(first.comparable());
		assertThat(first.header("X-Frame-Options")).isEqualTo("DENY");
	}

}
