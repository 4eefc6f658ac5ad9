package com.acme.tokenbroker.principal;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class SignInPolicyTests {

	private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

	private final SignInPolicy policy = new SignInPolicy(Duration.ofMinutes(5));

	/**
	 * MSAL reports the epoch as {@code refreshAt} when Entra sent no {@code refresh_in}:
	 * "epoch" in the table.
	 */
	@ParameterizedTest(name = "expires +{0}, refresh_in {1} -> refresh at +{2}")
	@CsvSource(nullValues = "-", value = { "PT1H, -, PT55M", "PT1H, epoch, PT55M", "PT24H, PT12H, PT12H",
			"PT1H, PT58M, PT55M", "PT1H, -PT1M, PT55M", "PT4M, -, PT30S", "PT1H, PT10S, PT30S", "PT35S, -, PT30S" })
	void refreshAtWhenTokenObtainedThenRefreshInOrMarginBeforeExpiryNeverSoonerThanRetryDelay(Duration expiresIn,
			String refreshIn, Duration expected) {
		Instant suggested = (refreshIn == null) ? null
				: refreshIn.equals("epoch") ? Instant.EPOCH : NOW.plus(Duration.parse(refreshIn));

		assertThat(this.policy.refreshAt(NOW.plus(expiresIn), suggested, NOW)).isEqualTo(NOW.plus(expected));
	}

	@ParameterizedTest(name = "expires +{0} -> usable {1}")
	@CsvSource({ "PT1H, true", "PT61S, true", "PT60S, false", "PT10S, false", "-PT1S, false" })
	void isUsableWhenExpiryNearThenNotHandedOutWithinAMinute(Duration expiresIn, boolean usable) {
		assertThat(this.policy.isUsable(NOW.plus(expiresIn), NOW)).isEqualTo(usable);
	}

	@ParameterizedTest(name = "refresh_in {0} -> suggested {1}")
	@CsvSource(nullValues = "-", value = { "-, -", "PT0S, -", "-PT1S, -", "PT1S, PT1S", "PT30M, PT30M" })
	void suggestedRefreshWhenMsalReportsOneThenOnlyWhenAhead(Duration refreshIn, Duration expected) {
		Instant reported = (refreshIn == null) ? null : NOW.plus(refreshIn);

		assertThat(this.policy.suggestedRefresh(reported, NOW))
			.isEqualTo((expected == null) ? null : NOW.plus(expected));
	}

	@ParameterizedTest(name = "failed at +{0} -> retry at +{1}")
	@CsvSource({ "PT0S, PT30S", "PT10M, PT10M30S" })
	void retryAtWhenSignInFailedWithATokenKeptThenThirtySecondsLater(Duration failedAt, Duration expected) {
		assertThat(this.policy.retryAt(NOW.plus(failedAt))).isEqualTo(NOW.plus(expected));
	}

}
