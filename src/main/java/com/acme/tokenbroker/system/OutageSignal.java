package com.acme.tokenbroker.system;

/**
 * A failure that says whether an outage of what was called explains it. A region's
 * breaker counts only those that do; one that does not (a missing role, a deleted
 * service) is the operator's to fix and must not cut the region off for every other
 * service. Declared here, implemented by the upstream client's exception, so the breakers
 * need not know the upstream package.
 */
public interface OutageSignal {

	/**
	 * @return whether an outage of the called service explains this failure
	 */
	boolean isOutage();

}
