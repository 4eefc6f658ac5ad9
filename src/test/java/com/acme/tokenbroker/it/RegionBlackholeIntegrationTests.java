package com.acme.tokenbroker.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TcpProxy;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.RefreshState;
import com.acme.tokenbroker.token.TokenCache;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Issue 12, items 3 and 8, over real sockets: westeurope's address is blackholed at the
 * TCP level (every SYN dropped, so each connect hangs for the whole connect timeout) for
 * three token lifetimes of virtual time, while eastus keeps being refreshed. Eastus
 * tokens are never stale and every eastus refresh runs at the very instant it was
 * scheduled, completing while westeurope's connects still hang; a caller with no token
 * for a westeurope service gets its 503 at once while the region's breaker is open and
 * while its probe hangs.
 */
@SimulatedWorkspaceTest
class RegionBlackholeIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	/**
	 * Longer than any wait below: a blackholed connect is still hanging when the other
	 * region's answer is checked.
	 */
	static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(8);

	/** The simulated tokens' lifetime ({@link TestWorkspaces#settings()}). */
	static final Duration LIFETIME = Duration.ofHours(12).plusMinutes(30);

	static final TcpProxy WESTEUROPE = proxyTo(SIMULATOR.regionEndpoint("westeurope"));

	static final List<String> EASTUS = List.of("v1-eus", "spare-2", "spare-6");

	static final List<String> WESTEUROPE_SERVICES = List.of("v1-weu", "v2-weu");

	static final List<String> WESTEUROPE_COLD = List.of("spare-1", "spare-3", "spare-5", "spare-7", "spare-9");

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		String proxied = "https://127.0.0.1:" + WESTEUROPE.port();
		registry.add("broker.workspaces.weu.mms-host", () -> proxied);
		registry.add("broker.workspaces.weu.arm-host", () -> proxied);
		registry.add("broker.upstream.connect-timeout", CONNECT_TIMEOUT::toString);
		registry.add("broker.upstream.read-timeout", () -> "10s");
		registry.add("broker.upstream.call-timeout", () -> "15s");
		registry.add("broker.tokens.fetch-concurrency", () -> "2");
	}

	private static TcpProxy proxyTo(URI endpoint) {
		try {
			return new TcpProxy(endpoint.getHost(), endpoint.getPort());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@AfterAll
	static void closeProxy() {
		WESTEUROPE.close();
	}

	@Autowired
	Http api;

	@Autowired
	TokenCache cache;

	@Autowired
	ServiceCatalog catalog;

	@Autowired
	RefreshPolicy policy;

	@Autowired
	CircuitBreakers breakers;

	private ServiceDescriptor service(String name) {
		return this.catalog.find(ServiceName.of(name)).orElseThrow();
	}

	@Test
	void westeuropeBlackholedForThreeLifetimesThenEastusNeverStaleAndColdCallersAnsweredAtOnce() throws Exception {
		for (String name : EASTUS) {
			this.cache.load(TestCatalog.inRegion(this.catalog, "eastus", name)).get(10, TimeUnit.SECONDS);
		}
		for (String name : WESTEUROPE_SERVICES) {
			this.cache.load(TestCatalog.inRegion(this.catalog, "westeurope", name)).get(10, TimeUnit.SECONDS);
		}

		WESTEUROPE.blackhole();
		assertThatExceptionOfType(SocketTimeoutException.class).as("a connect to westeurope is dropped, not refused")
			.isThrownBy(() -> {
				try (Socket probe = new Socket()) {
					probe.connect(new InetSocketAddress("127.0.0.1", WESTEUROPE.port()), 300);
				}
			});

		Instant end = CLOCK.instant().plus(LIFETIME.multipliedBy(3));
		Map<String, Integer> refreshes = new LinkedHashMap<>();
		while (CLOCK.instant().isBefore(end)) {
			Instant next = CLOCK.instant().plus(Duration.ofMinutes(10));
			for (String name : EASTUS) {
				Instant scheduled = this.cache.state(ServiceName.of(name)).nextAttemptAt();
				next = scheduled.isBefore(next) ? scheduled : next;
			}
			CLOCK.set(next);
			Instant now = CLOCK.instant();
			for (String name : EASTUS) {
				BrokeredToken held = this.cache.current(ServiceName.of(name));
				assertThat(held).as(name + " at " + now).isNotNull();
				assertThat(this.policy.isStale(held, now.minusMillis(1))).as(name + " stale before " + now).isFalse();
			}

			Map<ServiceName, CompletableFuture<BrokeredToken>> started = this.cache.runDueRefreshes();

			for (String name : EASTUS) {
				CompletableFuture<BrokeredToken> refresh = started.get(ServiceName.of(name));
				if (refresh != null) {
					BrokeredToken fresh = refresh.get(5, TimeUnit.SECONDS);
					RefreshState state = this.cache.state(ServiceName.of(name));
					assertThat(fresh.fetchedAt()).as(name + " refreshed at its scheduled instant").isEqualTo(now);
					assertThat(state.consecutiveFailures()).isZero();
					refreshes.merge(name, 1, Integer::sum);
				}
				assertThat(this.policy.isStale(this.cache.current(ServiceName.of(name)), now)).isFalse();
			}
		}

		long minimum = LIFETIME.multipliedBy(3).dividedBy(Duration.ofMinutes(30));
		assertThat(refreshes).hasSize(EASTUS.size())
			.allSatisfy((name, count) -> assertThat(count).isGreaterThanOrEqualTo((int) minimum));
		for (String name : WESTEUROPE_SERVICES) {
			assertThat(this.cache.current(ServiceName.of(name))).as(name + " is past its lifetime").isNull();
		}

		coldCallersAreAnsweredAtOnceWhileTheBreakerIsOpenOrProbing();
	}

	private void coldCallersAreAnsweredAtOnceWhileTheBreakerIsOpenOrProbing() throws Exception {
		CircuitBreaker westeurope = this.breakers.forRegion("westeurope");
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6 * CONNECT_TIMEOUT.toSeconds());
		while (westeurope.getState() != CircuitBreaker.State.OPEN && System.nanoTime() < deadline) {
			this.cache.runDueRefreshes();
			Thread.sleep(100);
			CLOCK.advance(Duration.ofSeconds(1));
		}
		assertThat(westeurope.getState()).as("westeurope's breaker opened on the hanging connects")
			.isEqualTo(CircuitBreaker.State.OPEN);

		String caller = CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(24));
		// The first request of a run verifies its caller's key and opens the connection:
		// not the figure asked for
		assertThat(this.api.get("/tokens/" + EASTUS.get(0), caller).status()).isEqualTo(200);
		List<Long> micros = new ArrayList<>();
		for (String name : WESTEUROPE_COLD.subList(0, 3)) {
			micros.add(coldCallerAnswer(caller, name));
		}

		// The connects that opened the breaker end first, so the probe is the only
		// westeurope call on its way
		long settled = System.nanoTime() + TimeUnit.SECONDS.toNanos(2 * CONNECT_TIMEOUT.toSeconds());
		while (WESTEUROPE_SERVICES.stream().anyMatch((name) -> this.cache.isLoading(ServiceName.of(name)))
				&& System.nanoTime() < settled) {
			Thread.sleep(50);
		}
		CLOCK.advance(this.breakers.untilProbe(westeurope).plusSeconds(1));
		ServiceName probing = ServiceName.of(WESTEUROPE_SERVICES.get(0));
		CompletableFuture<BrokeredToken> probe = this.cache.load(service(probing.toString()));
		long waited = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (westeurope.getState() != CircuitBreaker.State.HALF_OPEN && System.nanoTime() < waited) {
			Thread.sleep(5);
		}
		assertThat(westeurope.getState()).as("the probe is on its way").isEqualTo(CircuitBreaker.State.HALF_OPEN);
		for (String name : WESTEUROPE_COLD.subList(3, WESTEUROPE_COLD.size())) {
			micros.add(coldCallerAnswer(caller, name));
			assertThat(probe).as("answered while the probe's connect still hangs").isNotDone();
			assertThat(this.cache.isLoading(probing)).isTrue();
		}
		System.out.printf("Cold-caller 503 with westeurope blackholed (breaker open x3, then probing x2), in ms: %s%n",
				micros.stream().map((us) -> String.format("%.1f", us / 1000.0)).toList());
	}

	/**
	 * One first request for a never-fetched westeurope service: a 503 saying the circuit
	 * is open; its latency.
	 */
	private long coldCallerAnswer(String caller, String name) {
		assertThat(this.cache.current(ServiceName.of(name))).isNull();
		long started = System.nanoTime();
		Http.Response response = this.api.get("/tokens/" + name, caller);
		long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started);
		assertThat(response.status()).as(response.body()).isEqualTo(503);
		assertThat(response.json().get("type").stringValue())
			.isEqualTo("urn:token-broker:problem:upstream-circuit-open");
		assertThat(Long.parseLong(response.header("Retry-After"))).isPositive();
		return micros;
	}

}
