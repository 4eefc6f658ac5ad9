package com.acme.tokenbroker.token;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.principal.Identities;
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
			List<RefreshTick> ticks) {
		this.identities = identities;
		this.ticks = ticks.stream().map(Tick::new).toList();
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

	/** A tick with its own thread while the refresher runs. */
	private static final class Tick {

		private final RefreshTick tick;

		private final AtomicBoolean running = new AtomicBoolean();

		private final AtomicBoolean reportedStuck = new AtomicBoolean();

		private volatile ExecutorService executor;

		Tick(RefreshTick tick) {
			this.tick = tick;
		}

		void start() {
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
				if (this.reportedStuck.compareAndSet(false, true)) {
					logger.warn("Refresh tick '{}' has not returned since an earlier tick; skipped until it does",
							this.tick.name());
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
			try {
				this.tick.onTick();
			}
			catch (RuntimeException ex) {
				logger.error("Refresh tick '{}' failed ({})", this.tick.name(), ex.getClass().getSimpleName(), ex);
			}
			finally {
				this.running.set(false);
				this.reportedStuck.set(false);
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
