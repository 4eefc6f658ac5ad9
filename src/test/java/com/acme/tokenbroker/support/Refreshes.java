package com.acme.tokenbroker.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The refresh a test drives itself, with {@code broker.tokens.refresh-check-interval=0}.
 */
public final class Refreshes {

	private Refreshes() {
	}

	/**
	 * Run the refreshes that are due and wait for each.
	 * @param cache the broker's cache
	 */
	public static void runDue(TokenCache cache) {
		for (CompletableFuture<BrokeredToken> refresh : cache.runDueRefreshes().values()) {
			try {
				refresh.get(20, TimeUnit.SECONDS);
			}
			catch (Exception ex) {
				// a failed refresh is an outcome tests look at through the API
			}
		}
	}

	/**
	 * Every instance starts its due refreshes at once; then each is waited for.
	 * @param instances the brokers
	 * @param timeout how long to wait for each refresh
	 * @return the refreshes that failed ({@link ExecutionException}) or did not finish in
	 * time ({@link TimeoutException}), in the order waited for
	 * @throws InterruptedException if interrupted while waiting
	 */
	public static List<Exception> runDueEverywhere(List<ConfigurableApplicationContext> instances, Duration timeout)
			throws InterruptedException {
		List<CompletableFuture<BrokeredToken>> refreshes = new ArrayList<>();
		for (ConfigurableApplicationContext instance : instances) {
			refreshes.addAll(instance.getBean(TokenCache.class).runDueRefreshes().values());
		}
		List<Exception> failures = new ArrayList<>();
		for (CompletableFuture<BrokeredToken> refresh : refreshes) {
			try {
				refresh.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (ExecutionException | TimeoutException ex) {
				failures.add(ex);
			}
		}
		return failures;
	}

}
