package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.List;

import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With the embedded simulator disabled (here the broker runs against a simulated
 * workspace the test launches, the embedded one off, as in production), its controller
 * and filter chain still exist, as Spring AOT needs, but {@code /simulator/**} is
 * unreachable: with or without a caller token it answers exactly as a path nothing maps
 * (401 without one, refused by the caller filter chain with one).
 */
@SimulatedWorkspaceTest
class SimulatorDisabledIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	@Autowired
	Http api;

	@Autowired
	ApplicationContext context;

	@Test
	void noSimulatedWorkspaceIsMade() {
		assertThat(this.context.getBeanProvider(SimulatedWorkspace.class).getIfAvailable()).isNull();
	}

	@Test
	void withoutACallerTokenTheSimulatorsPathsAreRefusedLikeAnyOther() {
		Http.Response unmapped = this.api.post("/simulator/nothing-here");
		assertThat(unmapped.status()).isEqualTo(401);
		for (Http.Response response : List.of(this.api.post("/simulator/caller-tokens?subject=demo-app"),
				this.api.post("/simulator/caller-tokens"))) {
			assertThat(response.status()).isEqualTo(401);
			assertThat(response.body()).isEqualTo(unmapped.body().replace("nothing-here", "caller-tokens"));
			assertThat(response.header("WWW-Authenticate")).isEqualTo(unmapped.header("WWW-Authenticate"));
		}
		Http.Response calls = this.api.get("/simulator/calls", null);
		assertThat(calls.status()).isEqualTo(401);
		assertThat(calls.body())
			.isEqualTo(this.api.get("/simulator/nothing-here", null).body().replace("nothing-here", "calls"));
	}

	@Test
	void withACallerTokenTheSimulatorsPathsAnswerAsPathsNothingMaps() {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
		assertSameAsUnmapped(this.api.postWithBearer("/simulator/caller-tokens?subject=demo-app", caller),
				this.api.postWithBearer("/simulator/nothing-here?subject=demo-app", caller), "caller-tokens");
		assertSameAsUnmapped(this.api.get("/simulator/caller-tokens", caller),
				this.api.get("/simulator/nothing-here", caller), "caller-tokens");
		assertSameAsUnmapped(this.api.get("/simulator/calls", caller), this.api.get("/simulator/nothing-here", caller),
				"calls");
		assertSameAsUnmapped(this.api.postWithBearer("/simulator/calls", caller),
				this.api.postWithBearer("/simulator/nothing-here", caller), "calls");
	}

	@Test
	void theFaultSwitchIsAbsentLikeAPathNothingMaps() {
		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1));
		Http.Response unauthenticated = this.api.post("/simulator/regions/westeurope/fault?fault=down");
		assertThat(unauthenticated.status()).isEqualTo(401);
		assertThat(unauthenticated.body()).isEqualTo(this.api.post("/simulator/nothing-here?fault=down")
			.body()
			.replace("nothing-here", "regions/westeurope/fault"));
		assertThat(this.api.get("/simulator/regions", null).status()).isEqualTo(401);
		assertSameAsUnmapped(this.api.postWithBearer("/simulator/regions/westeurope/fault?fault=down", caller),
				this.api.postWithBearer("/simulator/nothing-here?fault=down", caller), "regions/westeurope/fault");
		assertSameAsUnmapped(this.api.postWithBearer("/simulator/regions/nowhere/fault?fault=bogus", caller),
				this.api.postWithBearer("/simulator/nothing-here?fault=bogus", caller), "regions/nowhere/fault");
		assertSameAsUnmapped(this.api.get("/simulator/regions/westeurope/fault", caller),
				this.api.get("/simulator/nothing-here", caller), "regions/westeurope/fault");
		assertSameAsUnmapped(this.api.get("/simulator/regions", caller),
				this.api.get("/simulator/nothing-here", caller), "regions");
		assertSameAsUnmapped(this.api.postWithBearer("/simulator/regions", caller),
				this.api.postWithBearer("/simulator/nothing-here", caller), "regions");
		assertThat(SIMULATOR.faults("westeurope").current()).isEqualTo(Fault.none());
	}

	private static void assertSameAsUnmapped(Http.Response response, Http.Response unmapped, String name) {
		assertThat(unmapped.status()).isIn(403, 404);
		assertThat(response.status()).isEqualTo(unmapped.status());
		assertThat(response.header("Content-Type")).isEqualTo(unmapped.header("Content-Type"))
			.startsWith("application/problem+json");
		assertThat(response.body()).isEqualTo(unmapped.body().replace("nothing-here", name));
		assertThat(response.body()).doesNotContain("accessToken");
	}

}
