package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.principal.Identities;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Keeps tokens fresh off the request path: at start it warms the cache for every
 * configured service, then looks for due refreshes every {@code refresh-check-interval},
 * the broker's own Entra ID token included. The due times themselves come from the
 * injected clock, so tests disable the background thread and call
 * {@link TokenCache#runDueRefreshes()} after moving virtual time. Each
 * {@link RefreshTick} runs on a thread of its own, one run at a time (a tick still
 * running is skipped): a tick that hangs, a file sink on a stalled mount or a key
 * rotation waiting on the upstream, holds up neither the refreshes nor the other ticks.
 */
public class TokenRefresher implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(TokenRefresher.class);

	private final TokenCache cache;

	private final ServiceCatalog catalog;

	private final TokenProperties properties;

	private final Identities identities;

	private volatile ScheduledExecutorService scheduler;

	private final List<Tick> ticks;

	public TokenRefresher(TokenCache cache, ServiceCatalog catalog, TokenProperties properties, Identities identities,
			List<RefreshTick> ticks, MeterRegistry meters, Clock clock) {
		this.identities = identities;
		this.ticks = ticks.stream().map((tick) -> new Tick(tick, meters, clock)).toList();
		this.cache = cache;
		this.catalog = catalog;
		this.properties = properties;
	}

	@Override
	public void start() {
		if (this.properties.warmUp()) {
			logger.info("Warming up tokens for {} configured services", this.catalog.services().size());
			for (ServiceDescriptor service : this.catalog.services()) {
				this.cache.load(service);
			}
		}
		Duration interval = this.properties.refreshCheckInterval();
		if (!interval.isZero()) {
			this.ticks.forEach(Tick::start);
			ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "token-refresh-scheduler");
				thread.setDaemon(true);
				return thread;
			});
			executor.scheduleWithFixedDelay(this::runDueRefreshes, interval.toMillis(), interval.toMillis(),
					TimeUnit.MILLISECONDS);
			this.scheduler = executor;
		}
	}

	private void runDueRefreshes() {
		try {
			this.identities.refreshIfDue();
			this.cache.runDueRefreshes();
			this.ticks.forEach(Tick::runUnlessRunning);
		}
		catch (RuntimeException ex) {
			logger.error("Looking for due token refreshes failed ({})", ex.getClass().getSimpleName(), ex);
		}
	}

	@Override
	public void stop() {
		ScheduledExecutorService executor = this.scheduler;
		if (executor != null) {
			executor.shutdownNow();
			this.ticks.forEach(Tick::shutdown);
			this.scheduler = null;
		}
	}

	@Override
	public boolean isRunning() {
		return this.scheduler != null;
	}

	/**
	 * A tick with its own thread while the refresher runs, and two meters: its finished
	 * runs ({@code broker.refresh.ticks}) and how long the current one has been running
	 * ({@code broker.refresh.tick.running}, 0 between runs), which shows a hung tick.
	 */
	private static final class Tick {

		/** A run this long is reported, once, when a tick is skipped for it. */
		private static final Duration STUCK = Duration.ofSeconds(30);

		private final RefreshTick tick;

		private final AtomicBoolean running = new AtomicBoolean();

		private final AtomicBoolean reportedStuck = new AtomicBoolean();

		private final AtomicLong runs = new AtomicLong();

		private final Clock clock;

		/** When the current run began; {@code null} between runs. */
		private volatile Instant runningSince;

		private volatile ExecutorService executor;

		Tick(RefreshTick tick, MeterRegistry meters, Clock clock) {
			this.tick = tick;
			this.clock = clock;
			FunctionCounter.builder("broker.refresh.ticks", this.runs, AtomicLong::get)
				.description("Runs of a refresher tick that ended (file sinks, key rotation)")
				.tag("tick", tick.name())
				.register(meters);
			Gauge.builder("broker.refresh.tick.running", this, Tick::runningSeconds)
				.description("Seconds the tick's current run has been going, 0 between runs")
				.tag("tick", tick.name())
				.baseUnit("seconds")
				.register(meters);
		}

		private double runningSeconds() {
			Instant since = this.runningSince;
			return (since == null) ? 0 : Duration.between(since, this.clock.instant()).toMillis() / 1000.0;
		}

		void start() {
			// a run queued when the refresher last stopped was dropped, not run
			this.running.set(false);
			this.reportedStuck.set(false);
			this.executor = Executors.newSingleThreadExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "token-refresh-tick-" + this.tick.name());
				thread.setDaemon(true);
				return thread;
			});
		}

		void runUnlessRunning() {
			ExecutorService executor = this.executor;
			if (executor == null) {
				return;
			}
			if (!this.running.compareAndSet(false, true)) {
				Instant since = this.runningSince;
				if (since != null && since.plus(STUCK).isBefore(this.clock.instant())
						&& this.reportedStuck.compareAndSet(false, true)) {
					logger.warn("Refresh tick '{}' has been running for {} s; its ticks are skipped until it returns",
							this.tick.name(), Math.round(runningSeconds()));
				}
				return;
			}
			try {
				executor.execute(this::run);
			}
			catch (RejectedExecutionException ex) {
				this.running.set(false);
			}
		}

		private void run() {
			this.runningSince = this.clock.instant();
			try {
				this.tick.onTick();
			}
			catch (RuntimeException ex) {
				logger.error("Refresh tick '{}' failed ({})", this.tick.name(), ex.getClass().getSimpleName(), ex);
			}
			finally {
				this.runningSince = null;
				this.runs.incrementAndGet();
				this.running.set(false);
				if (this.reportedStuck.compareAndSet(true, false)) {
					logger.info("Refresh tick '{}' returned", this.tick.name());
				}
			}
		}

		void shutdown() {
			ExecutorService executor = this.executor;
			this.executor = null;
			if (executor != null) {
				executor.shutdownNow();
			}
		}

	}

}
