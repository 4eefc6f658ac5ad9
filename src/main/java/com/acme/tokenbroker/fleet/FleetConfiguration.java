package com.acme.tokenbroker.fleet;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.KeySlots;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenSourceDecorator;
import com.acme.tokenbroker.upstream.SharedBudget;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The shared second-level cache on Redis, when {@code broker.fleet.enabled} is true: the token source decorator and
 * the fleet's request budget. The connection is Spring Boot's ({@code spring.data.redis.*}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("broker.fleet.enabled")
class FleetConfiguration {

	/** The Redis breaker's name (configure it under {@code resilience4j.circuitbreaker.instances.redis}). */
	static final String REDIS_BREAKER = "redis";

	@Bean
	SharedStore sharedStore(StringRedisTemplate redis, CircuitBreakers breakers) {
		return new SharedStore(redis, breakers.forRegion(REDIS_BREAKER));
	}

	@Bean
	SharedKeys sharedKeys(FleetProperties properties, KeySlots keySlots) {
		return new SharedKeys(properties.keyPrefix(), keySlots);
	}

	@Bean
	TokenSourceDecorator sharedTokenSourceDecorator(SharedStore store, SharedKeys keys, FleetProperties properties,
			RefreshPolicy policy, UpstreamProperties upstreamProperties, ObjectProvider<Sleeper> sleeper, MeterRegistry meterRegistry,
			Clock clock) {
		Duration longestFetch = upstreamProperties.callTimeout().multipliedBy(2);
		if (properties.lockLease().compareTo(longestFetch) < 0) {
			throw new InvalidConfigurationException("broker.fleet.lock-lease", "must be at least twice "
					+ "broker.upstream.call-timeout (" + longestFetch + "): a metadata read and a token call fit in one lease");
		}
		TokenSealer sealer = new TokenSealer(properties.encryption(), new SecureRandom());
		return (upstream) -> new SharedTokenSource(upstream, store, sealer, keys, policy, properties,
				sleeper.getIfAvailable(() -> Sleeper.THREAD), meterRegistry, clock);
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "broker.fleet.shared-budget", matchIfMissing = true)
	SharedBudget redisSharedBudget(SharedStore store, SharedKeys keys) {
		return new RedisSharedBudget(store, keys);
	}

	/**
	 * While Lettuce is disconnected, commands fail at once instead of queueing until the command timeout: a Redis
	 * outage then costs the broker nothing but a quick fallback.
	 */
	@Bean
	LettuceClientOptionsBuilderCustomizer failFastWhileDisconnected() {
		return (options) -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
			.autoReconnect(true);
	}

	/**
	 * Reconnect within two seconds of Redis coming back (Lettuce's default backs off to 30 s), with jitter so a fleet
	 * does not reconnect in step.
	 */
	@Bean
	ClientResourcesBuilderCustomizer reconnectPromptly() {
		return (resources) -> resources
			.reconnectDelay(Delay.equalJitter(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
	}

}
