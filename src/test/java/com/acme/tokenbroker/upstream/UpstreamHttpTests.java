package com.acme.tokenbroker.upstream;

import java.time.Duration;

import com.acme.tokenbroker.support.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamHttpTests {

	private final UpstreamHttp http = new UpstreamHttp(java.net.http.HttpClient.newHttpClient(),
			new UpstreamProperties(Duration.ofSeconds(1), Duration.ofSeconds(2),
					org.springframework.util.unit.DataSize.ofKilobytes(64), Duration.ofSeconds(5),
					Duration.ofMinutes(10)),
			(identity) -> () -> "unused", tools.jackson.databind.json.JsonMapper.shared(),
			MutableClock.startingAt("2026-11-28T10:00:00Z"), io.micrometer.core.instrument.Clock.SYSTEM);

	@Test
	void retryAfterWhenDeltaSecondsThenThatLong() {
		assertThat(this.http.retryAfter("120")).isEqualTo(Duration.ofSeconds(120));
		assertThat(this.http.retryAfter(" 7 ")).isEqualTo(Duration.ofSeconds(7));
	}

	@Test
	void retryAfterWhenHttpDateThenTimeUntilIt() {
		assertThat(this.http.retryAfter("Sat, 28 Nov 2026 10:02:30 GMT")).isEqualTo(Duration.ofSeconds(150));
		assertThat(this.http.retryAfter("Sat, 28 Nov 2026 09:00:00 GMT")).isEqualTo(Duration.ZERO);
	}

	@Test
	void retryAfterWhenHostileOrNonsenseThenCappedOrIgnored() {
		assertThat(this.http.retryAfter("99999999")).isEqualTo(Duration.ofHours(1));
		assertThat(this.http.retryAfter("-5")).isEqualTo(Duration.ZERO);
		assertThat(this.http.retryAfter("soon")).isNull();
		assertThat(this.http.retryAfter("")).isNull();
		assertThat(this.http.retryAfter(null)).isNull();
	}

}
