package com.acme.tokenbroker.token;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
 * {@link TokenCache#runDueRefreshes()} after moving virtual time.
 */
public class TokenRefresher implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(TokenRefresher.class);

	private final TokenCache cache;

	private final ServiceCatalog catalog;

	private final TokenProperties properties;

	private final Identities identities;

	private volatile ScheduledExecutorService scheduler;

	private final java.util.List<RefreshTick> ticks;

	public TokenRefresher(TokenCache cache, ServiceCatalog catalog, TokenProperties properties, Identities identities,
			java.util.List<RefreshTick> ticks) {
		this.identities = identities;
		this.ticks = java.util.List.copyOf(ticks);
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
			this.ticks.forEach(RefreshTick::onTick);
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
			this.scheduler = null;
		}
	}

	@Override
	public boolean isRunning() {
		return this.scheduler != null;
	}

}
