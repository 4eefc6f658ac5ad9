package com.acme.tokenbroker.upstream;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Issue 12, item 3: a waiting caller's fetch never takes the breaker's half-open probe.
 */
class RegionGuardTests {

	private final MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");

	private final CircuitBreakers breakers = new CircuitBreakers(CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
		.waitDurationInOpenState(Duration.ofSeconds(60))
		.permittedNumberOfCallsInHalfOpenState(1)
		.build()), this.clock);

	private final RegionGuard guard = new RegionGuard(this.breakers, BulkheadRegistry.ofDefaults(),
			RateLimiterRegistry.ofDefaults(), SharedBudget.NONE, new SimpleMeterRegistry());

	private final ServiceDescriptor service = TestCatalog.withServices("fraud")
		.find(ServiceName.of("fraud"))
		.orElseThrow();

	private final AtomicInteger calls = new AtomicInteger();

	private String call() {
		return this.guard.call(this.service, "token", () -> "answer-" + this.calls.incrementAndGet());
	}

	@Test
	void callWhenBreakerDueForAProbeAndACallerWaitsThenRefusedWithoutProbing() {
		CircuitBreaker breaker = this.breakers.forRegion(this.service.region());
		breaker.transitionToOpenState();
		this.clock.advance(Duration.ofSeconds(61));
		UpstreamException[] refused = new UpstreamException[1];

		CallerWaiting.run(() -> refused[0] = catchUpstream(this::call));

		assertThat(refused[0]).isNotNull();
		assertThat(refused[0].getKind()).isEqualTo(UpstreamException.Kind.BREAKER_OPEN);
		assertThat(this.calls).hasValue(0);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
	}

	@Test
	void callWhenBreakerDueForAProbeInTheBackgroundThenTheProbeIsMade() {
		CircuitBreaker breaker = this.breakers.forRegion(this.service.region());
		breaker.transitionToOpenState();
		this.clock.advance(Duration.ofSeconds(61));

		assertThat(call()).isEqualTo("answer-1");
		assertThat(breaker.getState()).isIn(CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED);
	}

	@Test
	void callWhenBreakerClosedAndACallerWaitsThenCalled() {
		String[] answer = new String[1];

		CallerWaiting.run(() -> answer[0] = call());

		assertThat(answer[0]).isEqualTo("answer-1");
	}

	@Test
	void callWhenBreakerOpenInTheBackgroundThenRefusedWithTheWaitUntilTheProbe() {
		this.breakers.forRegion(this.service.region()).transitionToOpenState();

		assertThatExceptionOfType(UpstreamException.class).isThrownBy(this::call)
			.satisfies((ex) -> assertThat(ex.getKind()).isEqualTo(UpstreamException.Kind.BREAKER_OPEN));
		assertThat(this.calls).hasValue(0);
	}

	@Test
	void callWhenTheUpstreamRefusesThenTheBreakerIgnoresItAndRecordsOutages() {
		CircuitBreaker breaker = this.breakers.forRegion(this.service.region());

		catchUpstream(() -> this.guard.call(this.service, "token", () -> {
			throw new UpstreamException(UpstreamException.Kind.NOT_FOUND, 404, null, "no such service");
		}));
		catchUpstream(() -> this.guard.call(this.service, "token", () -> {
			throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 503, null, "down");
		}));

		assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).as("the 404 is not counted").isEqualTo(1);
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@Test
	void callWhenTheRequestBudgetIsSpentThenLocallyLimitedWithoutCallingOrCounting() {
		RegionGuard limited = new RegionGuard(this.breakers, BulkheadRegistry.ofDefaults(),
				RateLimiterRegistry.of(RateLimiterConfig.custom()
					.limitForPeriod(1)
					.limitRefreshPeriod(Duration.ofHours(1))
					.timeoutDuration(Duration.ZERO)
					.build()),
				SharedBudget.NONE, new SimpleMeterRegistry());
		limited.call(this.service, "token", () -> "answer-" + this.calls.incrementAndGet());

		UpstreamException refused = catchUpstream(
				() -> limited.call(this.service, "token", () -> "answer-" + this.calls.incrementAndGet()));

		assertThat(refused).isNotNull();
		assertThat(refused.getKind()).isEqualTo(UpstreamException.Kind.LOCALLY_LIMITED);
		assertThat(refused.getRetryAfter()).isEqualTo(Duration.ofHours(1));
		assertThat(this.calls).hasValue(1);
		assertThat(this.breakers.forRegion(this.service.region()).getMetrics().getNumberOfBufferedCalls())
			.as("only the call made")
			.isEqualTo(1);
	}

	private static UpstreamException catchUpstream(Runnable call) {
		try {
			call.run();
			return null;
		}
		catch (UpstreamException ex) {
			return ex;
		}
	}

}
