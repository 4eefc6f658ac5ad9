package com.acme.tokenbroker.upstream;

import java.time.Duration;
import java.util.function.Supplier;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.system.CircuitBreakers;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
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
 * Only outage-shaped failures ({@link UpstreamException.Kind#isOutage()}) are recorded as
 * breaker errors; 401, 403, 404 and other refusals release the permission without
 * counting. Calls refused locally are counted in {@code broker.upstream.rejected} by
 * region and reason.
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
		if (CallerWaiting.isWaiting() && CircuitBreakers.isOpenOrProbing(breaker)) {
			// the probe is the background refresher's: a waiting caller is not held for a
			// region that may be down
			rejected(region, "breaker_open");
			throw new UpstreamException(UpstreamException.Kind.BREAKER_OPEN, 0, this.breakers.untilProbe(breaker),
					"Circuit breaker '" + region + "' is " + breaker.getState() + "; " + what
							+ " left to the background refresher's probe");
		}
		if (!breaker.tryAcquirePermission()) {
			rejected(region, "breaker_open");
			throw new UpstreamException(UpstreamException.Kind.BREAKER_OPEN, 0, this.breakers.untilProbe(breaker),
					"Circuit breaker '" + region + "' is " + breaker.getState() + "; " + what + " not requested");
		}
		Bulkhead bulkhead = this.bulkheads.bulkhead(region);
		RateLimiter rateLimiter = this.rateLimiters.rateLimiter(region);
		long start = breaker.getCurrentTimestamp();
		try {
			T result = bulkhead.executeSupplier(() -> {
				RateLimiter.waitForPermission(rateLimiter);
				Duration fleetWait = this.sharedBudget.tryAcquire(region,
						rateLimiter.getRateLimiterConfig().getLimitForPeriod(),
						rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod());
				if (fleetWait != null) {
					rejected(region, "fleet_budget");
					throw new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0, fleetWait,
							"The fleet's request budget of region " + region + " is spent; " + what + " not requested");
				}
				return call.get();
			});
			breaker.onSuccess(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit());
			return result;
		}
		catch (UpstreamException ex) {
			if (ex.getKind().isOutage()) {
				breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), ex);
			}
			else {
				breaker.releasePermission();
			}
			throw ex;
		}
		catch (BulkheadFullException ex) {
			breaker.releasePermission();
			rejected(region, "bulkhead_full");
			throw new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0, Duration.ofSeconds(1),
					"Too many concurrent upstream calls in region " + region + "; " + what + " not requested");
		}
		catch (RequestNotPermitted ex) {
			breaker.releasePermission();
			rejected(region, "rate_limited");
			Duration refresh = rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod();
			throw new UpstreamException(UpstreamException.Kind.LOCALLY_LIMITED, 0, refresh,
					"The request budget of region " + region + " is spent; " + what + " not requested");
		}
		catch (RuntimeException ex) {
			breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), ex);
			throw ex;
		}
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
