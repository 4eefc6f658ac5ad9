package com.acme.tokenbroker.system;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's circuit breakers: one per upstream region, one for Entra ID and, in fleet
 * mode, one for Redis, from Resilience4j's registry so that
 * {@code resilience4j.circuitbreaker.configs.default} and
 * {@code resilience4j.circuitbreaker.instances.<name>} in application.yml configure them,
 * and Actuator and Prometheus see them. Each breaker reads the broker's {@link Clock}, so
 * its open-state wait runs in the same (in tests, virtual) time as token refreshes.
 * <p>
 * What counts is each breaker's configuration: failures its ignore predicate accepts (an
 * operator error such as a missing role, a call the broker itself did not make) release
 * the permission without counting; every other failure is recorded. Callers decorate
 * their calls with the breaker and never record by hand.
 */
public class CircuitBreakers {

	/** The name of Entra ID's breaker. */
	public static final String ENTRA = "entra";

	/**
	 * The name of fleet mode's Redis breaker: the hyphen keeps it apart from every region
	 * name ({@code [a-z0-9]}), so a region called {@code redis} gets a breaker of its
	 * own.
	 */
	public static final String FLEET_REDIS = "fleet-redis";

	private static final Logger logger = LoggerFactory.getLogger(CircuitBreakers.class);

	private final CircuitBreakerRegistry registry;

	private final Clock clock;

	private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

	private final Map<String, Instant> openUntil = new ConcurrentHashMap<>();

	public CircuitBreakers(CircuitBreakerRegistry registry, Clock clock) {
		this.registry = registry;
		this.clock = clock;
	}

	/**
	 * @param region an upstream region, e.g. {@code westeurope}
	 * @return its breaker, named after it
	 */
	public CircuitBreaker forRegion(String region) {
		return breaker(region, CircuitBreakers::isNoRegionOutage);
	}

	/**
	 * @param ignored the failures that say nothing about Entra ID's health (the broker's
	 * own credentials refused); the first call's predicate configures the breaker, so
	 * every caller passes the same one
	 * @return Entra ID's breaker
	 */
	public CircuitBreaker forEntra(Predicate<Throwable> ignored) {
		return breaker(ENTRA, ignored);
	}

	/**
	 * @param ignored the failures that say nothing about Redis's health (this thread
	 * stopped); the first call's predicate configures the breaker
	 * @return fleet mode's Redis breaker, named {@value #FLEET_REDIS}
	 */
	public CircuitBreaker forFleetRedis(Predicate<Throwable> ignored) {
		return breaker(FLEET_REDIS, ignored);
	}

	/**
	 * What a region's breaker ignores: a refusal an operator must fix (401, 403, 404,
	 * another 4xx, a principal the broker could not sign in) and calls the broker did not
	 * make (its bulkhead full, its request budget or the fleet's spent). Only failures an
	 * outage explains ({@link OutageSignal#isOutage()}) and unexpected ones count.
	 */
	private static boolean isNoRegionOutage(Throwable failure) {
		return (failure instanceof OutageSignal signal && !signal.isOutage())
				|| failure instanceof BulkheadFullException || failure instanceof RequestNotPermitted;
	}

	private CircuitBreaker breaker(String name, Predicate<Throwable> ignored) {
		return this.breakers.computeIfAbsent(name, (key) -> create(key, ignored));
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

	private CircuitBreaker create(String name, Predicate<Throwable> ignored) {
		CircuitBreakerConfig base = this.registry.find(name)
			.map(CircuitBreaker::getCircuitBreakerConfig)
			.orElseGet(this.registry::getDefaultConfig);
		CircuitBreakerConfig config = CircuitBreakerConfig.from(base)
			.clock(this.clock)
			.writableStackTraceEnabled(false)
			.automaticTransitionFromOpenToHalfOpenEnabled(false)
			// on top of any ignore-exceptions configured for it in application.yml
			.ignoreException(base.getIgnoreExceptionPredicate().or(ignored))
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
