package com.acme.tokenbroker.principal;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class EntraPrincipalCredentialTests {

	private final MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");

	private final ScriptedCredential azure = new ScriptedCredential();

	private final CircuitBreaker breaker = new CircuitBreakers(CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
		.slidingWindowSize(4)
		.minimumNumberOfCalls(2)
		.failureRateThreshold(50)
		.waitDurationInOpenState(Duration.ofSeconds(60))
		.permittedNumberOfCallsInHalfOpenState(1)
		.build()), this.clock).forEntra(EntraPrincipalCredential::isOperatorError);

	private final EntraPrincipalCredential credential = new EntraPrincipalCredential(() -> this.azure,
			"https://management.azure.com/.default", Duration.ofMinutes(5), this.breaker, this.clock);

	private AccessToken token(String value, Duration lifetime, OffsetDateTime refreshAt) {
		OffsetDateTime expires = OffsetDateTime.ofInstant(this.clock.instant().plus(lifetime), ZoneOffset.UTC);
		return new AccessToken(value, expires, refreshAt);
	}

	@Test
	void bearerTokenWhenTokenStillFreshThenSignsInOnce() {
		this.azure.answers.add(token("t1", Duration.ofHours(1), null));

		assertThat(this.credential.bearerToken()).isEqualTo("t1");
		this.clock.advance(Duration.ofMinutes(54));
		assertThat(this.credential.bearerToken()).isEqualTo("t1");

		assertThat(this.azure.calls.get()).isEqualTo(1);
	}

	@Test
	void bearerTokenWhenMsalReportsEpochRefreshTimeThenItIsIgnored() {
		this.azure.answers
			.add(token("t1", Duration.ofHours(1), OffsetDateTime.ofInstant(Instant.EPOCH, ZoneOffset.UTC)));

		this.credential.bearerToken();
		this.credential.bearerToken();
		this.credential.bearerToken();

		assertThat(this.azure.calls.get()).isEqualTo(1);
	}

	@Test
	void bearerTokenWhenWithinRefreshMarginThenSignsInAgain() {
		signInWithT2Queued();

		this.clock.advance(Duration.ofMinutes(56));

		assertThat(this.credential.bearerToken()).isEqualTo("t2");
	}

	@Test
	void bearerTokenWhenRefreshFailsAndTokenStillValidThenKeepsItAndWaitsBeforeRetrying() {
		this.azure.answers.add(token("t1", Duration.ofHours(1), null));
		this.credential.bearerToken();
		this.clock.advance(Duration.ofMinutes(56));
		this.azure.failures = 1;

		assertThat(this.credential.bearerToken()).isEqualTo("t1");
		assertThat(this.credential.bearerToken()).isEqualTo("t1");
		assertThat(this.azure.calls.get()).isEqualTo(2);
	}

	@Test
	void bearerTokenWhenSignInFailsWithNothingUsableThenPrincipalUnavailable() {
		this.azure.failures = 1;

		assertThatExceptionOfType(PrincipalUnavailableException.class).isThrownBy(this.credential::bearerToken)
			.withMessageContaining("could not sign in");
	}

	@Test
	void bearerTokenWhenKeptTokenExpiredThenDoesNotServeIt() {
		this.azure.answers.add(token("t1", Duration.ofHours(1), null));
		this.credential.bearerToken();
		this.clock.advance(Duration.ofMinutes(59).plusSeconds(30));
		this.azure.failures = 1;

		assertThatExceptionOfType(PrincipalUnavailableException.class).isThrownBy(this.credential::bearerToken);
	}

	@Test
	void bearerTokenWhenEntraKeepsFailingThenBreakerOpensAndSignInsStopUntilTheProbe() {
		this.azure.failures = 100;

		assertUnavailable(2);
		assertThat(this.breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
		assertThatExceptionOfType(PrincipalUnavailableException.class).isThrownBy(this.credential::bearerToken)
			.withMessageContaining("circuit breaker 'entra' is OPEN");
		assertThat(this.azure.calls.get()).isEqualTo(2);

		this.azure.failures = 0;
		this.azure.answers.add(token("t1", Duration.ofHours(1), null));
		this.clock.advance(Duration.ofSeconds(61));
		assertThat(this.credential.bearerToken()).isEqualTo("t1");
		assertThat(this.breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	@Test
	void bearerTokenWhenEntraRejectsTheCredentialThenBreakerStaysClosed() {
		this.azure.rejections = 5;

		assertUnavailable(5);

		assertThat(this.breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(this.azure.calls.get()).isEqualTo(5);
	}

	@Test
	void refreshIfDueWhenPastRefreshTimeThenSignsInAheadOfUse() {
		signInWithT2Queued();

		this.credential.refreshIfDue();
		assertThat(this.azure.calls.get()).isEqualTo(1);
		this.clock.advance(Duration.ofMinutes(56));
		this.credential.refreshIfDue();

		assertThat(this.azure.calls.get()).isEqualTo(2);
		assertThat(this.credential.bearerToken()).isEqualTo("t2");
	}

	static final class ScriptedCredential implements TokenCredential {

		final Deque<AccessToken> answers = new ArrayDeque<>();

		final AtomicInteger calls = new AtomicInteger();

		volatile int failures;

		volatile int rejections;

		@Override
		public Mono<AccessToken> getToken(TokenRequestContext request) {
			return Mono.fromCallable(() -> getTokenSync(request));
		}

		@Override
		public AccessToken getTokenSync(TokenRequestContext request) {
			this.calls.incrementAndGet();
			assertThat(request.getScopes()).containsExactly("https://management.azure.com/.default");
			if (this.failures > 0) {
				this.failures--;
				throw new IllegalStateException("simulated outage", new java.net.ConnectException("refused"));
			}
			if (this.rejections > 0) {
				this.rejections--;
				throw new com.azure.identity.CredentialUnavailableException("not configured");
			}
			return this.answers.removeFirst();
		}

	}

	private void assertUnavailable(int times) {
		for (int i = 0; i < times; i++) {
			assertThatExceptionOfType(PrincipalUnavailableException.class).isThrownBy(this.credential::bearerToken);
		}
	}

	/**
	 * Signs in with t1, valid for an hour, and queues t2 as the next sign-in's answer.
	 */
	private void signInWithT2Queued() {
		this.azure.answers.add(token("t1", Duration.ofHours(1), null));
		this.azure.answers.add(token("t2", Duration.ofHours(1), null));
		this.credential.bearerToken();
	}

}
