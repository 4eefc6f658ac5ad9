package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

import com.acme.tokenbroker.catalog.ServiceName;
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
			long cap = Math.min(Duration.ofMinutes(5).toMillis(), Duration.ofSeconds(5).toMillis() << Math.min(failures - 1, 30));
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

}
