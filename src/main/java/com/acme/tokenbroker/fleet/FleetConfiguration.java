package com.acme.tokenbroker.fleet;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.keys.KeySlotCoordination;
import com.acme.tokenbroker.keys.KeySlots;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenSourceDecorator;
import com.acme.tokenbroker.upstream.SharedBudget;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The shared second-level cache on Redis, when {@code broker.fleet.enabled} is true: the
 * token source decorator and the fleet's request budget. The connection is Spring Boot's
 * ({@code spring.data.redis.*}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("broker.fleet.enabled")
class FleetConfiguration {

	@Bean
	SharedStore sharedStore(StringRedisTemplate redis, CircuitBreakers breakers) {
		// configured under resilience4j.circuitbreaker.instances.fleet-redis
		return new SharedStore(redis, breakers.forFleetRedis(SharedStore::isInterruption));
	}

	@Bean
	SharedKeys sharedKeys(FleetProperties properties, KeySlots keySlots) {
		return new SharedKeys(properties.keyPrefix(), keySlots);
	}

	@Bean
	TokenSourceDecorator sharedTokenSourceDecorator(SharedStore store, SharedKeys keys, FleetProperties properties,
			RefreshPolicy policy, UpstreamProperties upstreamProperties, ObjectProvider<Sleeper> sleeper,
			MeterRegistry meterRegistry, Clock clock) {
		Duration longestFetch = upstreamProperties.callTimeout().multipliedBy(2);
		if (properties.lockLease().compareTo(longestFetch) < 0) {
			throw new InvalidConfigurationException("broker.fleet.lock-lease",
					"must be at least twice " + "broker.upstream.call-timeout (" + longestFetch
							+ "): a metadata read and a token call fit in one lease");
		}
		TokenSealer sealer = new TokenSealer(properties.encryption(), new SecureRandom());
		return (upstream) -> new SharedTokenSource(upstream, store, sealer, keys, policy, properties,
				sleeper.getIfAvailable(() -> Sleeper.THREAD), meterRegistry, clock);
	}

	@Bean
	KeySlotCoordination redisKeySlotCoordination(SharedStore store, FleetProperties properties) {
		return new RedisKeySlotCoordination(store, new TokenSealer(properties.encryption(), new SecureRandom()),
				properties.keyPrefix());
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "broker.fleet.shared-budget", matchIfMissing = true)
	SharedBudget redisSharedBudget(SharedStore store, SharedKeys keys) {
		return new RedisSharedBudget(store, keys);
	}

	/**
	 * While Lettuce is disconnected, commands fail at once instead of queueing until the
	 * command timeout: a Redis outage then costs the broker nothing but a quick fallback.
	 */
	@Bean
	LettuceClientOptionsBuilderCustomizer failFastWhileDisconnected() {
		return (options) -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
			.autoReconnect(true);
	}

	/** An idle connection is probed after this long without traffic. */
	static final Duration KEEPALIVE_IDLE = Duration.ofSeconds(5);

	/** Between unanswered keepalive probes. */
	static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(2);

	/**
	 * Unanswered probes before the kernel drops the connection: an idle dead Redis is
	 * noticed within 11 s.
	 */
	static final int KEEPALIVE_COUNT = 3;

	/**
	 * Sent data unacknowledged this long drops the connection (Linux default: about 15
	 * minutes of retransmits).
	 */
	static final Duration TCP_USER_TIMEOUT = Duration.ofSeconds(10);

	/**
	 * A Redis that vanishes without a reset (a node lost, a network partition, packets
	 * dropped) is noticed by the socket in seconds: keepalive probes on an idle
	 * connection, {@code TCP_USER_TIMEOUT} on a busy one (issue 12, item 11). Lettuce
	 * then reconnects, and the broker's Redis breaker has opened on the failed commands
	 * meanwhile. The timings and {@code TCP_USER_TIMEOUT} need a native transport
	 * (netty's epoll, a dependency); Spring Boot's own socket options (the connect
	 * timeout) are kept.
	 */
	@Bean
	LettuceClientConfigurationBuilderCustomizer detectDeadConnectionsInSeconds() {
		return (builder) -> {
			ClientOptions current = builder.build().getClientOptions().orElseGet(ClientOptions::create);
			SocketOptions socket = current.getSocketOptions()
				.mutate()
				.keepAlive(SocketOptions.KeepAliveOptions.builder()
					.enable()
					.idle(KEEPALIVE_IDLE)
					.interval(KEEPALIVE_INTERVAL)
					.count(KEEPALIVE_COUNT)
					.build())
				.tcpUserTimeout(
						SocketOptions.TcpUserTimeoutOptions.builder().enable().tcpUserTimeout(TCP_USER_TIMEOUT).build())
				.build();
			builder.clientOptions(current.mutate().socketOptions(socket).build());
		};
	}

	/**
	 * Reconnect within two seconds of Redis coming back (Lettuce's default backs off to
	 * 30 s), with jitter so a fleet does not reconnect in step.
	 */
	@Bean
	ClientResourcesBuilderCustomizer reconnectPromptly() {
		return (resources) -> resources
			.reconnectDelay(Delay.equalJitter(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
	}

}
