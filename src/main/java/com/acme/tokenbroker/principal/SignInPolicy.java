package com.acme.tokenbroker.principal;

import java.time.Duration;
import java.time.Instant;

/**
 * When the broker signs in to Entra ID again: the identity's part of the broker's timing
 * rules, as pure functions of a token's instants and the clock's reading. It lives beside
 * the identity because the token cache's {@code RefreshPolicy}, which holds every other
 * rule, sits above it. A data-plane token handed to callers ({@code aad_token}) is not
 * timed here: the cache refreshes it at half-life
 * ({@code RefreshPolicy#entraRefreshAfter}) from a sign-in made for it.
 * <ul>
 * <li>a kept token is replaced from Entra's {@code refresh_in}, else
 * {@code refreshMargin} before it expires, never sooner than {@link #RETRY_DELAY} after
 * it was obtained (a short-lived token does not turn every call into a sign-in);</li>
 * <li>after a failed sign-in with a usable token kept, the next try waits
 * {@link #RETRY_DELAY};</li>
 * <li>a token within {@link #MINIMUM_VALIDITY} of its expiry is not handed out, even
 * while Entra ID is down.</li>
 * </ul>
 */
final class SignInPolicy {

	/** A token this close to expiry is not handed out even when Entra is down. */
	static final Duration MINIMUM_VALIDITY = Duration.ofSeconds(60);

	/**
	 * After a failed sign-in with a usable token kept, wait this long before trying
	 * again.
	 */
	static final Duration RETRY_DELAY = Duration.ofSeconds(30);

	private final Duration refreshMargin;

	SignInPolicy(Duration refreshMargin) {
		this.refreshMargin = refreshMargin;
	}

	/**
	 * @param expiresAt when the token just obtained expires
	 * @param refreshIn Entra's {@code refresh_in} as MSAL reports it (the epoch when
	 * Entra sent none), or {@code null}
	 * @param now when it was obtained
	 * @return when to replace it
	 */
	Instant refreshAt(Instant expiresAt, Instant refreshIn, Instant now) {
		Instant at = expiresAt.minus(this.refreshMargin);
		Instant suggested = suggestedRefresh(refreshIn, now);
		if (suggested != null && suggested.isBefore(at)) {
			at = suggested;
		}
		Instant earliest = now.plus(RETRY_DELAY);
		return at.isBefore(earliest) ? earliest : at;
	}

	/**
	 * @param refreshIn the refresh time MSAL reports, or {@code null}
	 * @param now the current instant
	 * @return Entra's {@code refresh_in} when it lies ahead, else {@code null} (MSAL
	 * reports the epoch for none)
	 */
	Instant suggestedRefresh(Instant refreshIn, Instant now) {
		return (refreshIn != null && refreshIn.isAfter(now)) ? refreshIn : null;
	}

	/**
	 * @param now when a sign-in failed while a usable token was kept
	 * @return when to try again
	 */
	Instant retryAt(Instant now) {
		return now.plus(RETRY_DELAY);
	}

	/**
	 * @param expiresAt when a token expires
	 * @param now the current instant
	 * @return whether it may be handed out now
	 */
	boolean isUsable(Instant expiresAt, Instant now) {
		return now.plus(MINIMUM_VALIDITY).isBefore(expiresAt);
	}

}
