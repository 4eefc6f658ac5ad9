package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.CircuitBreakers;

/**
 * Builds {@link ServiceStatus} views from the cache, the refresh states and the circuit
 * breakers.
 */
class TokenStatuses {

	private final TokenCache cache;

	private final CircuitBreakers breakers;

	private final Clock clock;

	public TokenStatuses(TokenCache cache, CircuitBreakers breakers, Clock clock) {
		this.cache = cache;
		this.breakers = breakers;
		this.clock = clock;
	}

	/**
	 * @param name a configured service
	 * @return its status, or {@code null} for an unconfigured name
	 */
	public ServiceStatus of(ServiceName name) {
		RefreshState state = this.cache.state(name);
		return (state != null) ? of(state, this.clock.instant()) : null;
	}

	public List<ServiceStatus> all() {
		Instant now = this.clock.instant();
		List<ServiceStatus> statuses = new ArrayList<>();
		for (RefreshState state : this.cache.states()) {
			statuses.add(of(state, now));
		}
		return statuses;
	}

	private ServiceStatus of(RefreshState state, Instant now) {
		ServiceName name = state.service().name();
		var breaker = this.breakers.forRegion(state.service().region());
		return ServiceStatus.of(state.service(), state, this.cache.current(name), this.cache.policy(),
				new ServiceStatus.Breaker(breaker.getName(), breaker.getState().name()), this.cache.isLoading(name),
				now);
	}

}
