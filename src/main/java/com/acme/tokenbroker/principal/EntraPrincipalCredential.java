package com.acme.tokenbroker.principal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import com.acme.tokenbroker.system.OutboundProxy;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.CredentialUnavailableException;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PrincipalCredential} over an azure-identity {@link TokenCredential}. The token
 * is kept and refreshed once the clock passes its refresh time ({@link SignInPolicy}), by
 * one thread at a time; when the refresh fails and the kept token is still valid, the
 * kept token is returned and the failure logged (the policy of azure-core's
 * {@code AccessTokenCache}, with an injected clock). Sign-ins go through Entra ID's
 * circuit breaker: while it is open, no sign-in is tried and a kept token is used while
 * it lasts. The breaker must ignore {@link #isOperatorError operator errors}, as
 * {@code CircuitBreakers.forEntra(EntraPrincipalCredential::isOperatorError)} does.
 */
public class EntraPrincipalCredential implements PrincipalCredential {

	private static final Logger logger = LoggerFactory.getLogger(EntraPrincipalCredential.class);

	private final Supplier<TokenCredential> credential;

	private final TokenRequestContext request;

	private final SignInPolicy policy;

	private final Clock clock;

	private final CircuitBreaker breaker;

	private final ReentrantLock lock = new ReentrantLock();

	private volatile Held current;

	private volatile Instant nextAttempt = Instant.MIN;

	public EntraPrincipalCredential(Supplier<TokenCredential> credential, String scope, Duration refreshMargin,
			CircuitBreaker breaker, Clock clock) {
		this.credential = credential;
		this.breaker = breaker;
		this.request = new TokenRequestContext().addScopes(scope);
		this.policy = new SignInPolicy(refreshMargin);
		this.clock = clock;
	}

	@Override
	public String bearerToken() {
		return held().token().getToken();
	}

	/**
	 * The current token with its times, refreshed as {@link #bearerToken()} does.
	 * @return the token
	 * @throws PrincipalUnavailableException when no valid token can be had
	 */
	public PrincipalToken currentToken() {
		Held held = held();
		return new PrincipalToken(held.token().getToken(), held.token().getExpiresAt().toInstant(), held.refreshAt());
	}

	/**
	 * Signs in now whatever is kept, through Entra ID's breaker, and fails rather than
	 * hand back a kept token: the broker's token cache, which asks at the data-plane
	 * token's half-life, serves the token it holds while this fails. The returned
	 * {@code refreshAt} is Entra's {@code refresh_in} when MSAL reports one, else
	 * {@code null}.
	 * @return the new token
	 * @throws PrincipalUnavailableException when no new token can be had now
	 */
	public PrincipalToken freshToken() {
		this.lock.lock();
		try {
			Instant now = this.clock.instant();
			Held held = signIn(null, now);
			AccessToken token = held.token();
			return new PrincipalToken(token.getToken(), token.getExpiresAt().toInstant(),
					this.policy.suggestedRefresh(refreshIn(token), now));
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * The token to use now, with its refresh time: kept, refreshed, or kept after a
	 * failed refresh.
	 */
	private Held held() {
		Held held = this.current;
		Instant now = this.clock.instant();
		if (held != null && now.isBefore(held.refreshAt())) {
			return held;
		}
		this.lock.lock();
		try {
			held = this.current;
			now = this.clock.instant();
			if (held != null && now.isBefore(held.refreshAt())) {
				return held;
			}
			if (held != null && isUsable(held.token(), now) && now.isBefore(this.nextAttempt)) {
				return held;
			}
			return signIn(held, now);
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public void refreshIfDue() {
		Held held = this.current;
		if (held != null && !this.clock.instant().isBefore(held.refreshAt())) {
			try {
				bearerToken();
			}
			catch (PrincipalUnavailableException ex) {
				logger.debug("Proactive refresh of the broker's own token failed: {}", ex.getMessage());
			}
		}
	}

	private Held signIn(Held kept, Instant now) {
		AccessToken fresh;
		try {
			fresh = CircuitBreaker.decorateSupplier(this.breaker, () -> {
				AccessToken token = this.credential.get().getTokenSync(this.request);
				if (token == null || token.getToken() == null || !isUsable(token, now)) {
					throw new IllegalStateException("Entra ID returned no usable token");
				}
				return token;
			}).get();
		}
		catch (CallNotPermittedException ex) {
			return keptOrFail(kept, now,
					"circuit breaker '" + this.breaker.getName() + "' is " + this.breaker.getState(), null);
		}
		catch (RuntimeException ex) {
			if (isOperatorError(ex)) {
				logger.error("Entra ID refused the broker's credentials ({}): check broker.identity",
						rootCauseName(ex));
			}
			return keptOrFail(kept, now, rootCauseName(ex), ex);
		}
		Held held = new Held(fresh, refreshAt(fresh, now));
		this.current = held;
		logger.debug("Signed in to Entra ID; token valid until {}, refreshed from {}", fresh.getExpiresAt(),
				held.refreshAt());
		return held;
	}

	private Held keptOrFail(Held kept, Instant now, String condition, Throwable cause) {
		if (kept != null && isUsable(kept.token(), now)) {
			this.nextAttempt = this.policy.retryAt(now);
			logger.warn(
					"Refreshing the broker's own Entra ID token failed ({}); keeping the current one, valid until {}",
					condition, kept.token().getExpiresAt());
			return kept;
		}
		throw new PrincipalUnavailableException("The broker could not sign in to Entra ID (" + condition + ")", cause);
	}

	/**
	 * A refusal only an operator can fix: Entra answered 400 or 401 (a wrong secret, an
	 * unknown client, a federated credential that does not match), or the credential is
	 * not configured. These do not count toward opening the breaker: Entra is up. Entra
	 * ID's breaker ignores them ({@code CircuitBreakers.forEntra}).
	 * @param failure a failed sign-in
	 * @return whether it is the operator's to fix
	 */
	static boolean isOperatorError(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof CredentialUnavailableException) {
				return true;
			}
			if (cause instanceof MsalServiceException msal && msal.statusCode() != null
					&& (msal.statusCode() == 400 || msal.statusCode() == 401)) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	private static String rootCauseName(Throwable failure) {
		String refusal = OutboundProxy.describeRefusal(failure);
		if (refusal != null) {
			return refusal;
		}
		Throwable cause = failure;
		while (cause.getCause() != null && cause.getCause() != cause) {
			cause = cause.getCause();
		}
		return cause.getClass().getSimpleName();
	}

	private Instant refreshAt(AccessToken token, Instant now) {
		return this.policy.refreshAt(token.getExpiresAt().toInstant(), refreshIn(token), now);
	}

	private static Instant refreshIn(AccessToken token) {
		return (token.getRefreshAt() != null) ? token.getRefreshAt().toInstant() : null;
	}

	/** A token with the instant it should be replaced. */
	private record Held(AccessToken token, Instant refreshAt) {
	}

	private boolean isUsable(AccessToken token, Instant now) {
		return this.policy.isUsable(token.getExpiresAt().toInstant(), now);
	}

}
