package com.acme.tokenbroker.system;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's circuit breakers: one per upstream region and one for Entra ID, from
 * Resilience4j's registry so that {@code resilience4j.circuitbreaker.configs.default} and
 * {@code resilience4j.circuitbreaker.instances.<name>} in application.yml configure them,
 * and Actuator and Prometheus see them. Each breaker reads the broker's {@link Clock}, so
 * its open-state wait runs in the same (in tests, virtual) time as token refreshes.
 * <p>
 * Callers decide what counts: they call {@link CircuitBreaker#onError} only for failures
 * an outage explains, and {@link CircuitBreaker#releasePermission()} for operator errors
 * such as a missing role.
 */
public class CircuitBreakers {

	/** The name of Entra ID's breaker. */
	public static final String ENTRA = "entra";

	private static final Logger logger = LoggerFactory.getLogger(CircuitBreakers.class);

	private final CircuitBreakerRegistry registry;

	private final Clock clock;

	private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

	private final Map<String, Instant> openUntil = new ConcurrentHashMap<>();

	public CircuitBreakers(CircuitBreakerRegistry registry, Clock clock) {
		this.registry = registry;
		this.clock = clock;
	}

	public CircuitBreaker forRegion(String region) {
		return this.breakers.computeIfAbsent(region, this::create);
	}

	public CircuitBreaker forEntra() {
		return forRegion(ENTRA);
	}

	public Map<String, CircuitBreaker> all() {
		return Map.copyOf(this.breakers);
	}

	/**
	 * When an open breaker will let a probe through.
	 * @param breaker a breaker of this registry
	 * @return the instant, or empty when the breaker is not open
	 */
	public Optional<Instant> opensForProbesAt(CircuitBreaker breaker) {
		CircuitBreaker.State state = breaker.getState();
		if (state != CircuitBreaker.State.OPEN && state != CircuitBreaker.State.FORCED_OPEN) {
			return Optional.empty();
		}
		return Optional.ofNullable(this.openUntil.get(breaker.getName()));
	}

	/**
	 * @param breaker a breaker
	 * @return whether a call now would be refused, or be the probe that decides whether
	 * its upstream is back
	 */
	public static boolean isOpenOrProbing(CircuitBreaker breaker) {
		CircuitBreaker.State state = breaker.getState();
		return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN
				|| state == CircuitBreaker.State.FORCED_OPEN;
	}

	/**
	 * How long until an open breaker lets a probe through, at least one second.
	 * @param breaker a breaker of this registry
	 * @return the wait
	 */
	public Duration untilProbe(CircuitBreaker breaker) {
		Instant now = this.clock.instant();
		Duration wait = opensForProbesAt(breaker).map((at) -> Duration.between(now, at)).orElse(Duration.ZERO);
		return (wait.compareTo(Duration.ofSeconds(1)) < 0) ? Duration.ofSeconds(1) : wait;
	}

	private CircuitBreaker create(String name) {
		CircuitBreakerConfig base = this.registry.find(name)
			.map(CircuitBreaker::getCircuitBreakerConfig)
			.orElseGet(this.registry::getDefaultConfig);
		CircuitBreakerConfig config = CircuitBreakerConfig.from(base)
			.clock(this.clock)
			.writableStackTraceEnabled(false)
			.automaticTransitionFromOpenToHalfOpenEnabled(false)
			.build();
		CircuitBreaker breaker = CircuitBreaker.of(name, config);
		if (this.registry.find(name).isPresent()) {
			this.registry.replace(name, breaker);
		}
		else {
			breaker = this.registry.circuitBreaker(name, () -> config);
		}
		long waitMillis = config.getWaitIntervalFunctionInOpenState().apply(1);
		breaker.getEventPublisher().onStateTransition((event) -> {
			CircuitBreaker.State to = event.getStateTransition().getToState();
			if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
				Instant until = this.clock.instant().plusMillis(waitMillis);
				this.openUntil.put(name, until);
				logger.warn("Circuit breaker '{}' is OPEN: no calls until {}, then a probe", name, until);
			}
			else {
				logger.info("Circuit breaker '{}' is {}", name, to);
			}
		});
		return breaker;
	}

}
