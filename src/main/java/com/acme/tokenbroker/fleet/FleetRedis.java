package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Fleet mode's connection to Redis: Spring Boot's Redis auto-configuration
 * ({@code spring.data.redis.*}), in a small context of its own that exists only once
 * fleet mode asks for it. The broker's own context never holds the Redis
 * auto-configuration ({@link FleetEnvironmentPostProcessor} leaves it out), so its bean
 * definitions are the same with fleet mode on and off, as Spring AOT needs (they are
 * fixed when the jar is built), and a broker with fleet mode off builds no Lettuce
 * client, event loop or timer thread. Public for the fleet integration tests, which read
 * the template and the client's options.
 */
public final class FleetRedis implements AutoCloseable {

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

	private final AnnotationConfigApplicationContext context;

	private FleetRedis(AnnotationConfigApplicationContext context) {
		this.context = context;
	}

	/**
	 * Builds the connection with Spring Boot's Redis auto-configuration and the broker's
	 * client options; Lettuce connects on the first command.
	 * @param environment the broker's environment ({@code spring.data.redis.*})
	 * @param observations the broker's observation registry, or {@code null}
	 * @param sslBundles the broker's SSL bundles ({@code spring.data.redis.ssl.bundle}),
	 * or {@code null}
	 * @return the started connection
	 */
	static FleetRedis start(ConfigurableEnvironment environment, ObservationRegistry observations,
			SslBundles sslBundles) {
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.setEnvironment(environment);
		context.setDisplayName("fleet-redis");
		if (observations != null) {
			context.registerBean(ObservationRegistry.class, () -> observations);
		}
		if (sslBundles != null) {
			context.registerBean(SslBundles.class, () -> sslBundles);
		}
		context.registerBean("failFastWhileDisconnected", LettuceClientOptionsBuilderCustomizer.class,
				FleetRedis::failFastWhileDisconnected);
		context.registerBean("detectDeadConnectionsInSeconds", LettuceClientConfigurationBuilderCustomizer.class,
				FleetRedis::detectDeadConnectionsInSeconds);
		context.registerBean("reconnectPromptly", ClientResourcesBuilderCustomizer.class,
				FleetRedis::reconnectPromptly);
		context.register(LettuceObservationAutoConfiguration.class, DataRedisAutoConfiguration.class);
		try {
			context.refresh();
		}
		catch (RuntimeException ex) {
			context.close();
			throw ex;
		}
		return new FleetRedis(context);
	}

	public StringRedisTemplate template() {
		return this.context.getBean(StringRedisTemplate.class);
	}

	public LettuceConnectionFactory connectionFactory() {
		return this.context.getBean(LettuceConnectionFactory.class);
	}

	public ClientResources clientResources() {
		return this.context.getBean(ClientResources.class);
	}

	@Override
	public void close() {
		this.context.close();
	}

	/**
	 * While Lettuce is disconnected, commands fail at once instead of queueing until the
	 * command timeout: a Redis outage then costs the broker nothing but a quick fallback.
	 */
	static LettuceClientOptionsBuilderCustomizer failFastWhileDisconnected() {
		return (options) -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
			.autoReconnect(true);
	}

	/**
	 * A Redis that vanishes without a reset (a node lost, a network partition, packets
	 * dropped) is noticed by the socket in seconds: keepalive probes on an idle
	 * connection, {@code TCP_USER_TIMEOUT} on a busy one (issue 12, item 11). Lettuce
	 * then reconnects, and the broker's Redis breaker has opened on the failed commands
	 * meanwhile. The timings and {@code TCP_USER_TIMEOUT} need a native transport
	 * (netty's epoll, a dependency); Spring Boot's own socket options (the connect
	 * timeout) are kept.
	 */
	static LettuceClientConfigurationBuilderCustomizer detectDeadConnectionsInSeconds() {
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
	static ClientResourcesBuilderCustomizer reconnectPromptly() {
		return (resources) -> resources
			.reconnectDelay(Delay.equalJitter(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
	}

}
