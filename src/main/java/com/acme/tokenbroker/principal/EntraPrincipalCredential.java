package com.acme.tokenbroker.principal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PrincipalCredential} over an azure-identity {@link TokenCredential}. The token is kept and refreshed once
 * the clock passes its refresh time ({@code refreshAt}, else {@code expiresAt} minus the margin), by one thread at a
 * time; when the refresh fails and the kept token is still valid, the kept token is returned and the failure logged
 * (the policy of azure-core's {@code AccessTokenCache}, with an injected clock).
 */
public class EntraPrincipalCredential implements PrincipalCredential {

	private static final Logger logger = LoggerFactory.getLogger(EntraPrincipalCredential.class);

	/** A token this close to expiry is not handed out even when Entra is down. */
	static final Duration MINIMUM_VALIDITY = Duration.ofSeconds(60);

	/** After a failed sign-in with a usable token kept, wait this long before trying again. */
	static final Duration RETRY_DELAY = Duration.ofSeconds(30);

	private final Supplier<TokenCredential> credential;

	private final TokenRequestContext request;

	private final Duration refreshMargin;

	private final Clock clock;

	private final ReentrantLock lock = new ReentrantLock();

	private volatile Held current;

	private volatile Instant nextAttempt = Instant.MIN;

	public EntraPrincipalCredential(Supplier<TokenCredential> credential, String scope, Duration refreshMargin,
			Clock clock) {
		this.credential = credential;
		this.request = new TokenRequestContext().addScopes(scope);
		this.refreshMargin = refreshMargin;
		this.clock = clock;
	}

	@Override
	public String bearerToken() {
		Held held = this.current;
		Instant now = this.clock.instant();
		if (held != null && now.isBefore(held.refreshAt())) {
			return held.token().getToken();
		}
		this.lock.lock();
		try {
			held = this.current;
			now = this.clock.instant();
			if (held != null && now.isBefore(held.refreshAt())) {
				return held.token().getToken();
			}
			if (held != null && isUsable(held.token(), now) && now.isBefore(this.nextAttempt)) {
				return held.token().getToken();
			}
			return signIn(held, now);
		}
		finally {
			this.lock.unlock();
		}
	}

	private String signIn(Held kept, Instant now) {
		try {
			AccessToken fresh = this.credential.get().getTokenSync(this.request);
			if (fresh == null || fresh.getToken() == null || !isUsable(fresh, now)) {
				throw new IllegalStateException("Entra ID returned no usable token");
			}
			Held held = new Held(fresh, refreshAt(fresh, now));
			this.current = held;
			logger.debug("Signed in to Entra ID; token valid until {}, refreshed from {}", fresh.getExpiresAt(),
					held.refreshAt());
			return fresh.getToken();
		}
		catch (RuntimeException ex) {
			if (kept != null && isUsable(kept.token(), now)) {
				this.nextAttempt = now.plus(RETRY_DELAY);
				logger.warn("Refreshing the broker's own Entra ID token failed ({}); keeping the current one, valid until {}",
						ex.getClass().getSimpleName(), kept.token().getExpiresAt());
				return kept.token().getToken();
			}
			throw new PrincipalUnavailableException(
					"The broker could not sign in to Entra ID (" + ex.getClass().getSimpleName() + ")", ex);
		}
	}

	/**
	 * The refresh point of a token just obtained: its {@code refreshAt} when that lies in the future (MSAL reports 0,
	 * the epoch, when Entra sent no {@code refresh_in}), else its expiry minus the margin, but not sooner than
	 * {@link #RETRY_DELAY} from now, so a short-lived token cannot turn every upstream call into a sign-in.
	 */
	private Instant refreshAt(AccessToken token, Instant now) {
		Instant at = token.getExpiresAt().toInstant().minus(this.refreshMargin);
		if (token.getRefreshAt() != null) {
			Instant refreshAt = token.getRefreshAt().toInstant();
			if (refreshAt.isAfter(now) && refreshAt.isBefore(at)) {
				at = refreshAt;
			}
		}
		Instant earliest = now.plus(RETRY_DELAY);
		return at.isBefore(earliest) ? earliest : at;
	}

	/** A token with the instant it should be replaced. */
	private record Held(AccessToken token, Instant refreshAt) {
	}

	private static boolean isUsable(AccessToken token, Instant now) {
		return now.plus(MINIMUM_VALIDITY).isBefore(token.getExpiresAt().toInstant());
	}

}
