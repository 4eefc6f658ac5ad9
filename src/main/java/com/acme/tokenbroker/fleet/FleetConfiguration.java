package com.acme.tokenbroker.fleet;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

import com.acme.tokenbroker.keys.KeySlotCoordination;
import com.acme.tokenbroker.keys.KeySlots;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenSourceDecorator;
import com.acme.tokenbroker.upstream.SharedBudget;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The shared second-level cache on Redis, when {@code broker.fleet.enabled} is true: the
 * token source decorator, the fleet's request budget and key-slot coordination. Every
 * bean exists whether fleet mode is on or off (Spring AOT fixes the bean definitions when
 * the jar is built) and chooses when it is made: with fleet mode off the decorator leaves
 * the token source alone, the budget and the coordination are the single instance's, and
 * the lazy Redis beans are never made. The connection is Spring Boot's
 * ({@code spring.data.redis.*}, see {@link FleetRedis}).
 */
@Configuration(proxyBeanMethods = false)
class FleetConfiguration {

	@Bean(destroyMethod = "close")
	@Lazy
	FleetRedis fleetRedis(ConfigurableEnvironment environment, ObjectProvider<ObservationRegistry> observations,
			ObjectProvider<SslBundles> sslBundles) {
		return FleetRedis.start(environment, observations.getIfAvailable(), sslBundles.getIfAvailable());
	}

	@Bean
	@Lazy
	SharedStore sharedStore(FleetRedis redis, CircuitBreakers breakers) {
		// configured under resilience4j.circuitbreaker.instances.fleet-redis
		return new SharedStore(redis.template(), breakers.forFleetRedis(SharedStore::isInterruption));
	}

	@Bean
	@Lazy
	SharedKeys sharedKeys(FleetProperties properties, KeySlots keySlots) {
		return new SharedKeys(properties.keyPrefix(), keySlots);
	}

	@Bean
	TokenSourceDecorator sharedTokenSourceDecorator(FleetProperties properties, ObjectProvider<SharedStore> store,
			ObjectProvider<SharedKeys> keys, RefreshPolicy policy, UpstreamProperties upstreamProperties,
			ObjectProvider<Sleeper> sleeper, MeterRegistry meterRegistry, Clock clock) {
		if (!properties.enabled()) {
			return (upstream) -> upstream;
		}
		Duration longestFetch = upstreamProperties.callTimeout().multipliedBy(2);
		if (properties.lockLease().compareTo(longestFetch) < 0) {
			throw new InvalidConfigurationException("broker.fleet.lock-lease",
					"must be at least twice " + "broker.upstream.call-timeout (" + longestFetch
							+ "): a metadata read and a token call fit in one lease");
		}
		SharedStore sharedStore = store.getObject();
		SharedKeys sharedKeys = keys.getObject();
		TokenSealer sealer = new TokenSealer(properties.encryption(), new SecureRandom());
		return (upstream) -> new SharedTokenSource(upstream, sharedStore, sealer, sharedKeys, policy, properties,
				sleeper.getIfAvailable(() -> Sleeper.THREAD), meterRegistry, clock);
	}

	@Bean
	KeySlotCoordination keySlotCoordination(FleetProperties properties, ObjectProvider<SharedStore> store) {
		if (!properties.enabled()) {
			return KeySlotCoordination.NONE;
		}
		return new RedisKeySlotCoordination(store.getObject(),
				new TokenSealer(properties.encryption(), new SecureRandom()), properties.keyPrefix());
	}

	/**
	 * The fleet's request budget per region in Redis, unless
	 * {@code broker.fleet.shared-budget} is false (then, as with fleet mode off, each
	 * instance counts its own).
	 */
	@Bean
	SharedBudget sharedBudget(FleetProperties properties, ObjectProvider<SharedStore> store,
			ObjectProvider<SharedKeys> keys) {
		if (!properties.enabled() || !properties.sharedBudget()) {
			return SharedBudget.NONE;
		}
		return new RedisSharedBudget(store.getObject(), keys.getObject());
	}

}
