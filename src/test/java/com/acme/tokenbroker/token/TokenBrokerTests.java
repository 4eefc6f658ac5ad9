package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.support.FakeTokenSource;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class TokenBrokerTests {

	private final MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");

	private final ServiceCatalog catalog = TestCatalog.withServices("fraud", "churn");

	private final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	private final FakeTokenSource source = new FakeTokenSource(this.clock);

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final CircuitBreakers breakers = new CircuitBreakers(CircuitBreakerRegistry.ofDefaults(), this.clock);

	private ExecutorService fetchExecutor;

	private TokenCache cache;

	private TokenBroker broker;

	@BeforeEach
	void setUp() {
		this.fetchExecutor = Executors.newFixedThreadPool(2);
		TokenProperties properties = properties(Duration.ofSeconds(2));
		RefreshPolicy policy = new RefreshPolicy(properties, new SplittableRandom(42)::nextLong);
		this.cache = new TokenCache(this.catalog, this.source, policy, properties, this.fetchExecutor, this.meters,
				this.clock);
		this.broker = new TokenBroker(this.catalog, this.cache, policy, properties, this.breakers, this.meters,
				this.clock);
	}

	@AfterEach
	void tearDown() {
		this.source.open();
		this.fetchExecutor.shutdownNow();
	}

	static TokenProperties properties(Duration coldMissDeadline) {
		return new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofSeconds(30),
				Duration.ofSeconds(5), Duration.ofMinutes(5), coldMissDeadline, false, 100, Duration.ZERO, 2,
				Duration.ofHours(24), Duration.ofMinutes(10));
	}

	@Test
	void tokenForWhenManyConcurrentColdRequestsThenOneUpstreamCall() throws Exception {
		this.source.closeGate();
		int callers = 150;
		ExecutorService pool = Executors.newFixedThreadPool(callers);
		try {
			CountDownLatch ready = new CountDownLatch(callers);
			List<Future<TokenBroker.Served>> results = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				results.add(pool.submit((Callable<TokenBroker.Served>) () -> {
					ready.countDown();
					return this.broker.tokenFor(this.fraud, Duration.ZERO);
				}));
			}
			assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(this.source.awaitFirstCall(5000)).isTrue();
			this.source.open();
			Set<String> values = ConcurrentHashMap.newKeySet();
			for (Future<TokenBroker.Served> result : results) {
				values.add(result.get(10, TimeUnit.SECONDS).token().value());
			}

			assertThat(this.source.calls()).isEqualTo(1);
			assertThat(values).hasSize(1);
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void replaceRejectedWhenManyConcurrentReportsOfTheServedTokenThenOneUpstreamCall() throws Exception {
		String rejected = this.broker.tokenFor(this.fraud, Duration.ZERO).token().value();
		this.clock.advance(Duration.ofSeconds(31));
		this.source.closeGate();
		int callers = 50;
		ExecutorService pool = Executors.newFixedThreadPool(callers);
		try {
			CountDownLatch ready = new CountDownLatch(callers);
			List<Future<TokenBroker.Served>> results = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				results.add(pool.submit((Callable<TokenBroker.Served>) () -> {
					ready.countDown();
					return this.broker.replaceRejected(this.fraud, CredentialFingerprint.of(rejected));
				}));
			}
			assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
			await().atMost(Duration.ofSeconds(5)).until(() -> this.source.calls() == 2);
			this.source.open();
			Set<String> values = ConcurrentHashMap.newKeySet();
			for (Future<TokenBroker.Served> result : results) {
				values.add(result.get(10, TimeUnit.SECONDS).token().value());
			}

			assertThat(this.source.calls()).isEqualTo(2);
			assertThat(values).hasSize(1).doesNotContain(rejected);
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void replaceRejectedWhenOlderTokenOrWithinMinRefreshIntervalThenNoUpstreamCall() {
		String first = this.broker.tokenFor(this.fraud, Duration.ZERO).token().value();
		this.clock.advance(Duration.ofSeconds(31));
		String second = this.broker.replaceRejected(this.fraud, CredentialFingerprint.of(first)).token().value();

		String again = this.broker.replaceRejected(this.fraud, CredentialFingerprint.of(first)).token().value();

		assertThat(again).isEqualTo(second).isNotEqualTo(first);
		assertThat(this.source.calls()).isEqualTo(2);
		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.replaceRejected(this.fraud, CredentialFingerprint.of(second)))
			.satisfies((ex) -> {
				assertThat(ex.getReason()).isEqualTo(TokenUnavailableException.Reason.CREDENTIAL_REJECTED);
				assertThat(ex.getRetryAfter()).isEqualTo(Duration.ofSeconds(30));
			});
		assertThat(this.source.calls()).isEqualTo(2);
	}

	@Test
	void aTokenFetchedEarlierElsewhereAndAlreadyDueIsNotRefetchedBeforeTheMinimumInterval() throws Exception {
		Instant now = this.clock.instant();
		BrokeredToken peers = new BrokeredToken(ServiceName.of("fraud"), "Bearer", "peer-token", now.minusSeconds(60),
				now.plus(Duration.ofHours(11)), now.minus(Duration.ofMinutes(31)));
		TokenCache shared = new TokenCache(this.catalog, (service, held) -> peers,
				new RefreshPolicy(properties(Duration.ofSeconds(2)), new SplittableRandom(42)::nextLong),
				properties(Duration.ofSeconds(2)), this.fetchExecutor, this.meters, this.clock);

		shared.load(this.fraud).get(5, TimeUnit.SECONDS);

		assertThat(shared.state(ServiceName.of("fraud")).nextAttemptAt()).isEqualTo(now.plusSeconds(30));
		assertThat(shared.runDueRefreshes()).isEmpty();
	}

	@Test
	void tokenForWhenCachedThenServedWithoutUpstreamCall() {
		TokenBroker.Served first = this.broker.tokenFor(this.fraud, Duration.ZERO);

		TokenBroker.Served second = this.broker.tokenFor(this.fraud, Duration.ZERO);

		assertThat(second.token()).isEqualTo(first.token());
		assertThat(first.fetched()).isTrue();
		assertThat(second.fetched()).isFalse();
		assertThat(second.stale()).isFalse();
		assertThat(this.source.calls()).isEqualTo(1);
		assertThat(this.meters.get("broker.token.requests")
			.tag("service", "fraud")
			.tag("outcome", "hit")
			.counter()
			.count()).isEqualTo(1.0);
		assertThat(this.meters.get("broker.token.requests")
			.tag("service", "fraud")
			.tag("outcome", "miss")
			.counter()
			.count()).isEqualTo(1.0);
	}

	@Test
	void cachedWhenUsableThenHitOrStaleCountedLikeTokenForAndNullOtherwiseWithoutCountingOrFetching() {
		assertThat(this.broker.cached(this.fraud.name())).as("nothing cached").isNull();
		assertThat(this.source.calls()).as("cached() never fetches").isZero();
		BrokeredToken token = this.broker.tokenFor(this.fraud, Duration.ZERO).token();

		TokenBroker.Served hit = this.broker.cached(this.fraud.name());
		assertThat(hit.token()).isSameAs(token);
		assertThat(hit.stale()).isFalse();
		assertThat(hit.fetched()).isFalse();
		this.clock.set(token.refreshAfter());
		TokenBroker.Served stale = this.broker.cached(this.fraud.name());
		assertThat(stale.token()).isSameAs(token);
		assertThat(stale.stale()).isTrue();
		this.clock.set(token.expiresAt().minus(Duration.ofMinutes(5)));
		assertThat(this.broker.cached(this.fraud.name())).as("at the hard expiry").isNull();

		assertThat(this.source.calls()).isEqualTo(1);
		assertThat(requests("hit")).isEqualTo(1.0);
		assertThat(requests("stale")).isEqualTo(1.0);
		assertThat(requests("miss")).isEqualTo(1.0);
		assertThat(requests("error")).isZero();
	}

	private double requests(String outcome) {
		return this.meters.get("broker.token.requests")
			.tag("service", "fraud")
			.tag("outcome", outcome)
			.counter()
			.count();
	}

	@Test
	void tokenForWhenRefreshDueThenRefreshedAheadOffTheRequestPathWithNoCallerBlocked() throws Exception {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		Instant nextRefresh = this.cache.state(this.fraud.name()).nextAttemptAt();
		assertThat(nextRefresh).isBefore(original.refreshAfter())
			.isAfterOrEqualTo(original.refreshAfter().minus(Duration.ofMinutes(5)));
		this.source.closeGate();

		this.clock.set(nextRefresh);
		var refreshes = this.cache.runDueRefreshes();
		assertThat(refreshes).containsOnlyKeys(this.fraud.name());
		TokenBroker.Served duringRefresh = this.broker.tokenFor(this.fraud, Duration.ZERO);

		assertThat(refreshes.get(this.fraud.name())).isNotDone();
		assertThat(duringRefresh.token()).isEqualTo(original);
		assertThat(duringRefresh.fetched()).isFalse();
		this.source.open();
		BrokeredToken refreshed = refreshes.get(this.fraud.name()).get(5, TimeUnit.SECONDS);
		assertThat(this.broker.tokenFor(this.fraud, Duration.ZERO).token()).isEqualTo(refreshed);
		assertThat(refreshed.value()).isNotEqualTo(original.value());
		assertThat(this.source.calls()).isEqualTo(2);
	}

	@Test
	void runDueRefreshesWhenNothingDueThenStartsNothing() {
		this.broker.tokenFor(this.fraud, Duration.ZERO);
		this.clock.advance(Duration.ofMinutes(10));

		assertThat(this.cache.runDueRefreshes()).isEmpty();
		assertThat(this.source.calls()).isEqualTo(1);
	}

	@Test
	void tokenForWhenRefreshFailsThenStaleServedUntilHardExpiryAndNeverAfter() throws Exception {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		this.source.thenFailAlways(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 503, null, "down"));

		this.clock.set(original.refreshAfter().plusSeconds(1));
		for (var refresh : this.cache.runDueRefreshes().values()) {
			assertThat(refresh).failsWithin(Duration.ofSeconds(5));
		}
		TokenBroker.Served stale = this.broker.tokenFor(this.fraud, Duration.ZERO);
		assertThat(stale.token()).isEqualTo(original);
		assertThat(stale.stale()).isTrue();
		assertThat(this.cache.state(this.fraud.name()).lastError().kind()).isEqualTo("unavailable");

		Instant hardExpiry = original.expiresAt().minus(Duration.ofMinutes(5));
		this.clock.set(hardExpiry.minusSeconds(1));
		assertThat(this.broker.tokenFor(this.fraud, Duration.ZERO).token()).isEqualTo(original);

		this.clock.set(hardExpiry);
		assertThat(this.cache.current(this.fraud.name())).isNull();
		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO))
			.satisfies((ex) -> {
				assertThat(ex.getReason()).isEqualTo(TokenUnavailableException.Reason.UPSTREAM_UNAVAILABLE);
				assertThat(ex.getRetryAfter()).isPositive();
			});
	}

	@Test
	void runDueRefreshesWhenFailuresRepeatThenBacksOffExponentiallyAndHonoursRetryAfter() throws Exception {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		this.source.thenFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 500, null, "boom"))
			.thenFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 500, null, "boom"))
			.thenFail(new UpstreamException(UpstreamException.Kind.THROTTLED, 429, Duration.ofMinutes(2), "slow down"));
		this.clock.set(original.refreshAfter());

		List<Duration> delays = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			Instant attemptAt = this.clock.instant();
			this.cache.runDueRefreshes().values().forEach((f) -> assertThat(f).failsWithin(Duration.ofSeconds(5)));
			Instant next = this.cache.state(this.fraud.name()).nextAttemptAt();
			delays.add(Duration.between(attemptAt, next));
			this.clock.set(next);
		}

		assertThat(delays.get(0)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5));
		assertThat(delays.get(1)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(10));
		assertThat(delays.get(2)).isGreaterThanOrEqualTo(Duration.ofMinutes(2));
		assertThat(this.source.calls()).isEqualTo(4);
	}

	@Test
	void runDueRefreshesWhenUpstreamRejectsPrincipalThenWaitsMaxBackoffNotATightLoop() {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		this.source.thenFail(new UpstreamException(UpstreamException.Kind.REJECTED_PRINCIPAL, 403, null, "no role"));
		this.clock.set(original.refreshAfter());

		this.cache.runDueRefreshes().values().forEach((f) -> assertThat(f).failsWithin(Duration.ofSeconds(5)));

		assertThat(this.cache.state(this.fraud.name()).nextAttemptAt())
			.isEqualTo(original.refreshAfter().plus(Duration.ofMinutes(5)));
		assertThat(this.cache.state(this.fraud.name()).lastError().retryable()).isFalse();
	}

	@Test
	void tokenForWhenColdFetchOutlastsDeadlineThen503DeadlineExceeded() {
		TokenProperties properties = properties(Duration.ofMillis(200));
		RefreshPolicy policy = new RefreshPolicy(properties, new SplittableRandom(1)::nextLong);
		TokenCache shortCache = new TokenCache(this.catalog, this.source, policy, properties, this.fetchExecutor,
				this.meters, this.clock);
		TokenBroker shortBroker = new TokenBroker(this.catalog, shortCache, policy, properties, this.breakers,
				new SimpleMeterRegistry(), this.clock);
		this.source.closeGate();

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> shortBroker.tokenFor(this.fraud, Duration.ZERO))
			.satisfies(
					(ex) -> assertThat(ex.getReason()).isEqualTo(TokenUnavailableException.Reason.DEADLINE_EXCEEDED));
		this.source.open();
	}

	@Test
	void tokenForWhenColdFetchFailsThen503CarryingTheUpstreamClass() {
		this.source.thenFail(new UpstreamException(UpstreamException.Kind.NOT_FOUND, 404, null, "no such service"));

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO))
			.satisfies(
					(ex) -> assertThat(ex.getReason()).isEqualTo(TokenUnavailableException.Reason.UPSTREAM_NOT_FOUND));
		assertThat(this.cache.current(this.fraud.name())).isNull();
	}

	@Test
	void tokenForWhenMinTtlExceedsCachedLifetimeThenFetchesOnceThenRefusesUntilMinRefreshInterval() {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		this.clock.advance(Duration.ofHours(10));

		TokenBroker.Served longer = this.broker.tokenFor(this.fraud, Duration.ofHours(5));
		assertThat(longer.token()).isNotEqualTo(original);
		assertThat(this.source.calls()).isEqualTo(2);

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ofHours(13)))
			.satisfies((ex) -> assertThat(ex.getReason())
				.isEqualTo(TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE));
		assertThat(this.source.calls()).isEqualTo(2);
	}

	@Test
	void constructorWhenMoreServicesThanMaxSizeThenConfigurationError() {
		TokenProperties tiny = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofSeconds(30),
				Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 1, Duration.ZERO, 2,
				Duration.ofHours(24), Duration.ofMinutes(10));

		assertThatExceptionOfType(com.acme.tokenbroker.system.InvalidConfigurationException.class)
			.isThrownBy(() -> new TokenCache(this.catalog, this.source,
					new RefreshPolicy(tiny, new SplittableRandom(1)::nextLong), tiny, this.fetchExecutor, this.meters,
					this.clock))
			.withMessageStartingWith("broker.tokens.max-size");
	}

	@Test
	void loadWhenSourceReturnsTokenInsideSafetyMarginThenNotCached() {
		this.source.lifetimes(Duration.ofMinutes(1), Duration.ofMinutes(2));

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO));
		assertThat(this.cache.current(this.fraud.name())).isNull();
		assertThat(this.cache.state(this.fraud.name()).lastError().kind()).isEqualTo("invalid_response");
	}

	// Issue 12, item 1: an authorized caller looping on a service the upstream does not
	// know drives no upstream loop.
	@Test
	void tokenForWhenColdMissesKeepHittingA404ThenAtMostTwoUpstreamCalls() throws Exception {
		this.source
			.thenFailAlways(new UpstreamException(UpstreamException.Kind.NOT_FOUND, 404, null, "no such service"));
		ExecutorService pool = Executors.newFixedThreadPool(16);
		try {
			List<Future<TokenUnavailableException.Reason>> answers = new ArrayList<>();
			for (int i = 0; i < 2000; i++) {
				answers.add(pool.submit(() -> {
					try {
						this.broker.tokenFor(this.fraud, Duration.ZERO);
						return null;
					}
					catch (TokenUnavailableException ex) {
						return ex.getReason();
					}
				}));
			}
			for (Future<TokenUnavailableException.Reason> answer : answers) {
				assertThat(answer.get(10, TimeUnit.SECONDS))
					.isEqualTo(TokenUnavailableException.Reason.UPSTREAM_NOT_FOUND);
			}
		}
		finally {
			pool.shutdownNow();
		}

		assertThat(this.source.calls()).isBetween(1, 2);
	}

	@Test
	void tokenForWhenAFailedFetchsRetryIsAheadThenRefusedAtOnceWithRetryAfterUntilIt() {
		this.source
			.thenFail(new UpstreamException(UpstreamException.Kind.THROTTLED, 429, Duration.ofMinutes(2), "slow"));
		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO));
		Instant retryAt = this.cache.state(this.fraud.name()).nextAttemptAt();

		this.clock.advance(Duration.ofSeconds(90));

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO))
			.satisfies(
					(ex) -> assertThat(ex.getRetryAfter()).isEqualTo(Duration.between(this.clock.instant(), retryAt)));
		assertThat(this.source.calls()).isEqualTo(1);
		this.clock.set(retryAt);
		assertThat(this.broker.tokenFor(this.fraud, Duration.ZERO).token()).isNotNull();
		assertThat(this.source.calls()).isEqualTo(2);
	}

	@Test
	void tokenForWhenColdMissWithinMinRefreshIntervalOfAFailedAttemptThenNoSecondCall() {
		this.source.thenFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 503, null, "down"));
		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO));
		this.clock.set(this.cache.state(this.fraud.name()).nextAttemptAt());
		// the refresher's retry is due (backoff of 1-5 s), but the last attempt was less
		// than 30 s ago

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO));
		assertThat(this.source.calls()).isEqualTo(1);
	}

	// Issue 12, item 2: a minTtl no fetch can give does not force a fetch every
	// min-refresh-interval.
	@Test
	void tokenForWhenMinTtlBeyondTheLastFetchsRunwayThenRefusedUntilTheNextScheduledRefresh() {
		BrokeredToken original = this.broker.tokenFor(this.fraud, Duration.ZERO).token();
		Duration beyondRunway = Duration.between(original.fetchedAt(), original.expiresAt());

		for (int i = 0; i < 20; i++) {
			this.clock.advance(Duration.ofSeconds(31));
			assertThatExceptionOfType(TokenUnavailableException.class)
				.isThrownBy(() -> this.broker.tokenFor(this.fraud, beyondRunway))
				.satisfies((ex) -> assertThat(ex.getReason())
					.isEqualTo(TokenUnavailableException.Reason.MIN_TTL_UNSATISFIABLE));
		}

		assertThat(this.source.calls()).isEqualTo(1);
	}

	// Issue 12, item 3: the breaker's probe is the refresher's; a caller does not wait
	// for it.
	@Test
	void tokenForWhenBreakerOpenAndAFetchInFlightThenRefusedAtOnceWithoutWaitingForIt() throws Exception {
		this.source.closeGate();
		var running = this.cache.load(this.fraud);
		assertThat(this.source.awaitFirstCall(5000)).isTrue();
		this.breakers.forRegion(this.fraud.region()).transitionToOpenState();

		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO))
			.satisfies((ex) -> assertThat(ex.getReason())
				.isEqualTo(TokenUnavailableException.Reason.UPSTREAM_CIRCUIT_OPEN));
		this.source.open();
		running.get(5, TimeUnit.SECONDS);
	}

	@Test
	void tokenForWhenTheLastFetchWasHeldBackByABreakerThatHasClosedSinceThenFetchesAtOnce() {
		this.source.thenFail(
				new UpstreamException(UpstreamException.Kind.BREAKER_OPEN, 0, Duration.ofSeconds(30), "breaker open"));
		assertThatExceptionOfType(TokenUnavailableException.class)
			.isThrownBy(() -> this.broker.tokenFor(this.fraud, Duration.ZERO));

		assertThat(this.broker.tokenFor(this.fraud, Duration.ZERO).token()).isNotNull();
		assertThat(this.source.calls()).isEqualTo(2);
	}

}
