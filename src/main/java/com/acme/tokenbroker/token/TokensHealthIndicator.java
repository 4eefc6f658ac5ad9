package com.acme.tokenbroker.token;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.acme.tokenbroker.system.CircuitBreakers;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Readiness by runway: UP while every required service has a token usable for at least
 * {@code broker.tokens.min-runway} more, OUT_OF_SERVICE otherwise. It does not flap
 * during an outage: a stale token still has runway, and readiness only drops when a
 * required token is about to stop being served. Details list each service's state and
 * runway (the first {@value #MAX_LISTED}, not-ready services first) and each circuit
 * breaker; never a token.
 * <p>
 * This indicator belongs to the readiness group only: liveness reports the process, so an
 * outage never restarts the broker and throws away its cache.
 */
class TokensHealthIndicator implements HealthIndicator {

	static final int MAX_LISTED = 100;

	private final TokenStatuses statuses;

	private final CircuitBreakers breakers;

	private final Duration minRunway;

	TokensHealthIndicator(TokenStatuses statuses, CircuitBreakers breakers, Duration minRunway) {
		this.statuses = statuses;
		this.breakers = breakers;
		this.minRunway = minRunway;
	}

	@Override
	public Health health() {
		List<ServiceStatus> all = this.statuses.all();
		Map<String, Integer> counts = new TreeMap<>();
		Map<String, Object> services = new LinkedHashMap<>();
		int notReady = 0;
		for (ServiceStatus status : all) {
			counts.merge(status.state(), 1, Integer::sum);
			if (status.required() && !status.hasRunway(this.minRunway)) {
				notReady++;
				if (services.size() < MAX_LISTED) {
					services.put(status.service(), summary(status));
				}
			}
		}
		for (ServiceStatus status : all) {
			if (services.size() >= MAX_LISTED) {
				break;
			}
			services.putIfAbsent(status.service(), summary(status));
		}
		Map<String, String> breakerStates = new TreeMap<>();
		this.breakers.all().forEach((name, breaker) -> breakerStates.put(name, breaker.getState().name()));
		Health.Builder builder = (notReady == 0) ? Health.up() : Health.status(Status.OUT_OF_SERVICE);
		return builder.withDetail("minRunway", this.minRunway.toString())
			.withDetail("requiredWithoutRunway", notReady)
			.withDetail("counts", counts)
			.withDetail("services", services)
			.withDetail("breakers", breakerStates)
			.build();
	}

	private static Map<String, Object> summary(ServiceStatus status) {
		Map<String, Object> summary = new LinkedHashMap<>();
		summary.put("state", status.state());
		summary.put("required", status.required());
		if (status.runwaySeconds() != null) {
			summary.put("runwaySeconds", status.runwaySeconds());
		}
		if (status.lastError() != null) {
			summary.put("lastError", status.lastError().kind());
		}
		return summary;
	}

}
