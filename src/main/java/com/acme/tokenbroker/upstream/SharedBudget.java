package com.acme.tokenbroker.upstream;

import java.time.Duration;

/**
 * A request budget shared by every broker instance of a fleet, consulted after the
 * instance's own rate limiter for each upstream call. Implementations that cannot reach
 * their store permit the call: the instance's own limiter still applies.
 */
@FunctionalInterface
public interface SharedBudget {

	/** No fleet: every call the instance's own limiter allows. */
	SharedBudget NONE = (region, limitForPeriod, period) -> null;

	/**
	 * Take one permit of the region's budget.
	 * @param region the upstream region
	 * @param limitForPeriod permits per period, for the whole fleet
	 * @param period the budget's period
	 * @return {@code null} when the call may go, else how long until the budget refills
	 */
	Duration tryAcquire(String region, int limitForPeriod, Duration period);

}
