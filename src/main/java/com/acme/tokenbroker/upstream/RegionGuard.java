package com.acme.tokenbroker.upstream;

import java.time.Duration;
import java.util.function.Supplier;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Guards every upstream call of a region, in this order:
 * <ol>
 * <li>the region's circuit breaker: while open, no call is made and the failure says when
 * the next probe may go; the probe itself is never made for a waiting caller
 * ({@link CallerWaiting});</li>
 * <li>the region's bulkhead: at most so many calls at once;</li>
 * <li>the region's rate limiter: the request budget, e.g. ARM's 10 writes per second
 * refill;</li>
 * <li>with a fleet, the same budget counted for all instances together
 * ({@link SharedBudget}).</li>
 * </ol>
 * The call is decorated with the region's breaker, bulkhead and rate limiter, whose
 * configuration says what counts: only outage-shaped failures
 * ({@link UpstreamException.Kind#isOutage()}) are recorded as breaker errors; 401, 403,
 * 404, other refusals and calls not made release the permission without counting
 * ({@link CircuitBreakers#forRegion}). Calls refused locally are counted in
 * {@code broker.upstream.rejected} by region and reason.
 */
final class RegionGuard {

	private final CircuitBreakers breakers;

	private final BulkheadRegistry bulkheads;

	private final RateLimiterRegistry rateLimiters;

	private final SharedBudget sharedBudget;

	private final MeterRegistry meterRegistry;

	RegionGuard(CircuitBreakers breakers, BulkheadRegistry bulkheads, RateLimiterRegistry rateLimiters,
			SharedBudget sharedBudget, MeterRegistry meterRegistry) {
		this.breakers = breakers;
		this.bulkheads = bulkheads;
		this.rateLimiters = rateLimiters;
		this.sharedBudget = sharedBudget;
		this.meterRegistry = meterRegistry;
	}

	<T> T call(ServiceDescriptor service, String what, Supplier<T> call) {
		String region = service.region();
		CircuitBreaker breaker = this.breakers.forRegion(region);
		// A breaker decorator cannot tell a waiting caller from the background refresher:
		// past the open-state wait, acquiring a permission turns the breaker half-open
		// and
		// makes this call the probe. So the one check Resilience4j cannot express comes
		// first, here: while the region is open or probing, a waiting caller is refused
		// and the probe stays the background refresher's.
		if (CallerWaiting.isWaiting() && CircuitBreakers.isOpenOrProbing(breaker)) {
			rejected(region, "breaker_open");
			throw new UpstreamException(UpstreamException.Kind.BREAKER_OPEN, 0, this.breakers.untilProbe(breaker),
					"Circuit breaker '" + region + "' is " + breaker.getState() + "; " + what
							+ " left to the background refresher's probe");
		}
		Bulkhead bulkhead = this.bulkheads.bulkhead(region);
		RateLimiter rateLimiter = this.rateLimiters.rateLimiter(region);
		Supplier<T> withinFleetBudget = () -> {
			Duration fleetWait = this.sharedBudget.tryAcquire(region,
					rateLimiter.getRateLimiterConfig().getLimitForPeriod(),
					rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod());
			if (fleetWait != null) {
				rejected(region, "fleet_budget");
				throw new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0, fleetWait,
						"The fleet's request budget of region " + region + " is spent; " + what + " not requested");
			}
			return call.get();
		};
		// the breaker outermost, then the bulkhead, then the request budget; what the
		// breaker counts is its configuration (CircuitBreakers)
		Supplier<T> guarded = CircuitBreaker.decorateSupplier(breaker,
				Bulkhead.decorateSupplier(bulkhead, RateLimiter.decorateSupplier(rateLimiter, withinFleetBudget)));
		try {
			return guarded.get();
		}
		catch (CallNotPermittedException | BulkheadFullException | RequestNotPermitted ex) {
			throw notRequested(ex, region, what, breaker, rateLimiter);
		}
	}

	/**
	 * The one mapping of Resilience4j's refusals, a call this guard did not make, to an
	 * {@link UpstreamException} that says when to try again, counted in
	 * {@code broker.upstream.rejected}.
	 */
	private UpstreamException notRequested(RuntimeException refusal, String region, String what, CircuitBreaker breaker,
			RateLimiter rateLimiter) {
		if (refusal instanceof CallNotPermittedException) {
			rejected(region, "breaker_open");
			return new UpstreamException(UpstreamException.Kind.BREAKER_OPEN, 0, this.breakers.untilProbe(breaker),
					"Circuit breaker '" + region + "' is " + breaker.getState() + "; " + what + " not requested");
		}
		if (refusal instanceof BulkheadFullException) {
			rejected(region, "bulkhead_full");
			return new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0, Duration.ofSeconds(1),
					"Too many concurrent upstream calls in region " + region + "; " + what + " not requested");
		}
		rejected(region, "rate_limited");
		return new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0,
				rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod(),
				"The request budget of region " + region + " is spent; " + what + " not requested");
	}

	private void rejected(String region, String reason) {
		Counter.builder("broker.upstream.rejected")
			.description("Upstream calls the broker did not make: breaker open, bulkhead full, or rate budget spent")
			.tag("region", region)
			.tag("reason", reason)
			.register(this.meterRegistry)
			.increment();
	}

}
