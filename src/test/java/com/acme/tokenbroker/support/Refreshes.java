package com.acme.tokenbroker.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;

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

}
