package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.upstream.UpstreamException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class RefreshPolicyTests {

	private static final Instant FETCHED = Instant.parse("2026-11-28T10:00:00Z");

	private final RefreshPolicy policy = new RefreshPolicy(TokenBrokerTests.properties(Duration.ofSeconds(5)),
			new SplittableRandom(7)::nextLong);

	private static BrokeredToken token(Duration refreshAfter, Duration expiresAfter) {
		return new BrokeredToken(ServiceName.of("fraud"), "Bearer", "value", FETCHED.plus(refreshAfter),
				FETCHED.plus(expiresAfter), FETCHED);
	}

	@ParameterizedTest(name = "at +{0}: usable={1}, stale={2}")
	@CsvSource({ "PT0S, true, false", "PT29M59S, true, false", "PT30M, true, true", "PT12H24M59S, true, true",
			"PT12H25M, false, true", "PT13H, false, true" })
	void isUsableAndIsStaleFollowRefreshAfterAndHardExpiry(Duration at, boolean usable, boolean stale) {
		BrokeredToken token = token(Duration.ofMinutes(30), Duration.ofHours(12).plusMinutes(30));

		assertThat(this.policy.isUsable(token, FETCHED.plus(at))).isEqualTo(usable);
		assertThat(this.policy.isStale(token, FETCHED.plus(at))).isEqualTo(stale);
	}

	@Test
	void nextRefreshWhenTypicalTokenThenJitteredWithinWindowBeforeRefreshAfter() {
		BrokeredToken token = token(Duration.ofMinutes(30), Duration.ofHours(12));

		for (int i = 0; i < 200; i++) {
			Instant next = this.policy.nextRefresh(token);
			assertThat(next).isBetween(token.refreshAfter().minus(Duration.ofMinutes(5)), token.refreshAfter());
		}
	}

	@Test
	void nextRefreshWhenJitterWouldPassFetchTimeThenKeepsMinimumInterval() {
		BrokeredToken token = token(Duration.ofSeconds(10), Duration.ofHours(1));

		assertThat(this.policy.nextRefresh(token)).isEqualTo(FETCHED.plusSeconds(30));
	}

	@Test
	void nextRefreshWhenRefreshAfterBeyondHardExpiryThenBeforeHardExpiry() {
		BrokeredToken token = token(Duration.ofHours(1), Duration.ofHours(1));

		assertThat(this.policy.nextRefresh(token)).isBeforeOrEqualTo(FETCHED.plus(Duration.ofMinutes(55)));
	}

	@Test
	void backoffWhenFailuresGrowThenFullJitterUpToADoublingCap() {
		for (int failures = 1; failures <= 40; failures++) {
			long cap = Math.min(Duration.ofMinutes(5).toMillis(),
					Duration.ofSeconds(5).toMillis() << Math.min(failures - 1, 30));
			Duration max = Duration.ZERO;
			Duration min = Duration.ofDays(1);
			for (int i = 0; i < 300; i++) {
				Duration backoff = this.policy.backoff(failures);
				assertThat(backoff).isBetween(Duration.ofSeconds(1), Duration.ofMillis(cap));
				max = (backoff.compareTo(max) > 0) ? backoff : max;
				min = (backoff.compareTo(min) < 0) ? backoff : min;
			}
			assertThat(max).as("spread reaches the top of the window").isGreaterThan(Duration.ofMillis(cap * 8 / 10));
			if (cap >= 20_000) {
				assertThat(min).as("full jitter: spread reaches the bottom").isLessThan(Duration.ofMillis(cap / 5));
			}
		}
	}

	@Test
	void afterHoldBackWhenBreakerWaitGivenThenNeverSoonerAndAtMostATenthLater() {
		for (int i = 0; i < 100; i++) {
			assertThat(this.policy.afterHoldBack(Duration.ofSeconds(60))).isBetween(Duration.ofSeconds(60),
					Duration.ofSeconds(66));
		}
	}

	/**
	 * The same policy with no jitter: every random draw is 0, so delays are the floors
	 * and the waits given.
	 */
	private final RefreshPolicy exact = new RefreshPolicy(TokenBrokerTests.properties(Duration.ofSeconds(5)), () -> 0L);

	@ParameterizedTest(name = "{0}, Retry-After {1}, failure {2} -> {3}")
	@CsvSource({ "BREAKER_OPEN, PT60S, 1, PT60S", "LOCALLY_LIMITED, PT10S, 3, PT10S", "PEER_FETCHING, PT2S, 1, PT2S",
			"BREAKER_OPEN, , 1, PT1S", "UNAVAILABLE, , 4, PT1S", "THROTTLED, PT2M, 1, PT2M",
			"THROTTLED, PT0.5S, 1, PT1S", "NOT_FOUND, , 1, PT5M", "REJECTED_PRINCIPAL, PT1M, 2, PT5M",
			"REJECTED_REQUEST, PT10M, 1, PT10M" })
	void retryDelayWhenAFetchFailedThenHoldBackWaitBackoffOrLongestNeverBeforeRetryAfter(UpstreamException.Kind kind,
			Duration retryAfter, int failures, Duration expected) {
		assertThat(this.exact.retryDelay(kind, retryAfter, failures)).isEqualTo(expected);
	}

	@ParameterizedTest(name = "refreshAfter +{0}, expires +{1}, fetched at +{2} -> next at +{3}")
	@CsvSource({ "PT30M, PT12H, PT0S, PT30M", "PT30M, PT12H, PT40M, PT40M30S", "PT10S, PT1H, PT0S, PT30S",
			"PT1H, PT1H, PT0S, PT55M", "PT30M, PT12H, PT29M50S, PT30M20S" })
	void nextRefreshAfterFetchWhenTokenMayBeDueAlreadyThenNeverSoonerThanMinRefreshInterval(Duration refreshAfter,
			Duration expiresAfter, Duration now, Duration expected) {
		BrokeredToken token = token(refreshAfter, expiresAfter);

		assertThat(this.exact.nextRefreshAfterFetch(token, FETCHED.plus(now))).isEqualTo(FETCHED.plus(expected));
	}

	@ParameterizedTest(name = "lifetime {0}, refresh_in {1} -> refresh after +{2}")
	@CsvSource({ "PT75M, , PT37M30S", "PT90M, , PT45M", "PT24H, PT12H, PT12H", "PT24H, PT6H, PT6H",
			"PT1H, PT55M, PT30M", "PT1H, -PT1M, PT30M" })
	void entraRefreshAfterWhenTokenAcquiredThenHalfLifeOrRefreshInWhicheverIsSooner(Duration lifetime,
			Duration refreshIn, Duration expected) {
		Instant refreshAt = (refreshIn != null) ? FETCHED.plus(refreshIn) : null;

		assertThat(RefreshPolicy.entraRefreshAfter(FETCHED, FETCHED.plus(lifetime), refreshAt))
			.isEqualTo(FETCHED.plus(expected));
	}

	/**
	 * Keys re-read every 5 minutes and served up to an hour; metadata current for 10
	 * minutes; min-refresh 30 s.
	 */
	private final RefreshPolicy credentials = new RefreshPolicy(
			TokenBrokerTests.properties(Duration.ofSeconds(5)), new CredentialProperties(Duration.ofMinutes(10),
					Duration.ofMinutes(5), Duration.ofHours(1), com.acme.tokenbroker.upstream.KeySlot.PRIMARY),
			() -> 0L);

	@Test
	void keyRefreshAfterAndKeyExpiresAtWhenKeyReadThenKeyRefreshAndKeyMaxAgeLater() {
		assertThat(this.credentials.keyRefreshAfter(FETCHED)).isEqualTo(FETCHED.plus(Duration.ofMinutes(5)));
		assertThat(this.credentials.keyExpiresAt(FETCHED)).isEqualTo(FETCHED.plus(Duration.ofHours(1)));
	}

	@ParameterizedTest(name = "read at 0, now +{0}: metadata current={1}, a refusal may re-read={2}")
	@CsvSource({ "PT0S, true, false", "PT29.999S, true, false", "PT30S, true, true", "PT9M59S, true, true",
			"PT10M, false, true", "PT2H, false, true" })
	void metadataCurrentAndMayReReadMetadataWhenTimePassesThenMetadataRefreshAndMinRefreshInterval(Duration at,
			boolean current, boolean mayReRead) {
		assertThat(this.credentials.metadataCurrent(FETCHED, FETCHED.plus(at))).isEqualTo(current);
		assertThat(this.credentials.mayReReadMetadata(FETCHED, FETCHED.plus(at))).isEqualTo(mayReRead);
		assertThat(this.credentials.mayReReadMetadata(null, FETCHED.plus(at))).isTrue();
	}

	@ParameterizedTest(name = "expires at +{0}, at +{1}: held={2}")
	@CsvSource({ "PT12H, PT0S, true", "PT12H, PT29.999S, true", "PT12H, PT30S, false", "PT12H, PT5M, false",
			"PT5M, PT0S, false", "PT5M10S, PT10S, false" })
	void fleetRejectionHeldWhileTheSharedTokenIsUsableAndFetchedWithinMinRefreshInterval(Duration expiresAfter,
			Duration at, boolean held) {
		BrokeredToken shared = token(Duration.ofMinutes(5), expiresAfter);

		assertThat(this.policy.fleetRejectionHeld(shared, FETCHED.plus(at))).isEqualTo(held);
	}

	/**
	 * The request path's rule, as a table: the state after one attempt at 0 (a success
	 * with a runway, or a failure of a kind with its retry scheduled), a caller arriving
	 * later with a {@code minTtl}, the breaker closed or not.
	 */
	@ParameterizedTest(
			name = "[{index}] {0} (retry +{1}, runway {2}), minTtl {3}, breaker closed {4}, at +{5} -> held until +{6}")
	@CsvSource(nullValues = "-", value = {
			// a 404: no fetch until its retry, however many callers ask
			"not_found, PT5M, -, PT0S, true, PT1S, PT5M", "not_found, PT5M, -, PT0S, true, PT4M59S, PT5M",
			"not_found, PT5M, -, PT0S, true, PT5M, -",
			// a 429 with Retry-After 2 minutes
			"throttled, PT2M, -, PT0S, true, PT10S, PT2M",
			// a held-back fetch that made no upstream call holds nothing once its reason
			// is gone
			"peer_fetching, PT2S, -, PT0S, true, PT1S, -", "breaker_open, PT60S, -, PT0S, true, PT1S, -",
			// ... but an open breaker holds callers until its probe time
			"breaker_open, PT60S, -, PT0S, false, PT1S, PT60S",
			// a success: min-refresh-interval from the attempt, then free
			"ok, PT50M, PT60M, PT0S, true, PT10S, PT30S", "ok, PT50M, PT60M, PT0S, true, PT30S, -",
			// a minTtl beyond the runway the last fetch gave: held until the next
			// scheduled refresh
			"ok, PT50M, PT60M, PT61M, true, PT40S, PT50M", "ok, PT50M, PT60M, PT60M, true, PT40S, PT50M",
			"ok, PT50M, PT60M, PT59M, true, PT40S, -", "ok, PT50M, PT60M, PT61M, true, PT50M, -" })
	void requestFetchHeldUntilWhenLastAttemptKnownThenSameScheduleAsTheRefresher(String outcome, Duration next,
			Duration runway, Duration minTtl, boolean breakerClosed, Duration at, Duration heldUntil) {
		RefreshState state = new RefreshState(null);
		if (outcome.equals("ok")) {
			state.succeeded(FETCHED, FETCHED.plus(next), FETCHED.plus(runway));
		}
		else {
			state.failed(new RefreshState.FetchError(outcome, "svc: " + outcome, 0, FETCHED, true));
			state.scheduleAt(FETCHED.plus(next));
		}

		Instant held = this.exact.requestFetchHeldUntil(state, minTtl, breakerClosed, FETCHED.plus(at));

		assertThat(held).isEqualTo((heldUntil != null) ? FETCHED.plus(heldUntil) : null);
	}

	@Test
	void requestFetchHeldUntilWhenNothingAttemptedThenFetchesNow() {
		assertThat(this.exact.requestFetchHeldUntil(null, Duration.ZERO, true, FETCHED)).isNull();
		assertThat(this.exact.requestFetchHeldUntil(new RefreshState(null), Duration.ofHours(1), false, FETCHED))
			.isNull();
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(nullValues = "-", value = {
			// the fleet's answer: a peer's read, newer than the one held, before this
			// fetch began
			"a peer's read, PT5S, PT30M, PT0S, -, PT10S, PT5S", "nothing held, PT5S, PT30M, -, -, PT10S, PT5S",
			// never before an attempt already recorded (this instance's own, later)
			"after a later attempt here, PT5S, PT30M, PT0S, PT8S, PT10S, PT8S",
			// this fetch's own read, fetchedAt kept to the millisecond: the fetch's end
			"its own read, PT10S, PT30M, PT0S, -, PT10.0007S, PT12S",
			// older than min-refresh-interval (an old answer, a peer's clock far behind)
			"an old read, -PT20S, PT30M, -PT1H, -, PT10S, PT12S",
			// a stale answer (the fleet's after a failure), or not newer than the one
			// held
			"a stale answer, PT5S, PT1S, PT0S, -, PT10S, PT12S", "the one held, PT5S, PT30M, PT5S, -, PT10S, PT12S" })
	void upstreamAttemptAtIsAPeersReadOnlyWhenTheFleetAnsweredWithARecentNewerOne(String name, Duration fetched,
			Duration refreshAfter, Duration held, Duration lastAttempt, Duration started, Duration attempt) {
		BrokeredToken token = new BrokeredToken(ServiceName.of("fraud"), "Bearer", "k1", FETCHED.plus(refreshAfter),
				FETCHED.plus(Duration.ofHours(1)), FETCHED.plus(fetched));
		BrokeredToken before = (held != null) ? new BrokeredToken(ServiceName.of("fraud"), "Bearer", "k0",
				FETCHED.plus(Duration.ofMinutes(30)), FETCHED.plus(Duration.ofHours(1)), FETCHED.plus(held)) : null;

		Instant at = this.policy.upstreamAttemptAt(token, before,
				(lastAttempt != null) ? FETCHED.plus(lastAttempt) : null, FETCHED.plus(started),
				FETCHED.plus(Duration.ofSeconds(12)));

		assertThat(at).isEqualTo(FETCHED.plus(attempt));
	}

}
