package com.acme.tokenbroker.token;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import com.acme.tokenbroker.catalog.ServiceName;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ready-serialized answers of {@code GET /tokens/{service}}: the bytes Jackson writes
 * for {@link TokenResponse}, made once per token instance.
 */
class TokenResponseBodiesTests {

	// As the application's mapper: spring.jackson.default-property-inclusion=non_null
	private final JsonMapper mapper = JsonMapper.builder()
		.changeDefaultPropertyInclusion((inclusion) -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
		.build();

	private final TokenResponseBodies bodies = new TokenResponseBodies(this.mapper);

	@Test
	void ofWhenFreshOrStaleThenBytesAreThoseOfTheTokenResponse() {
		BrokeredToken token = token("secret-value-1", "https://ws.example/score/fraud");

		for (boolean stale : new boolean[] { false, true }) {
			TokenBroker.Served served = new TokenBroker.Served(token, stale, false);

			TokenResponseBodies.Rendered rendered = this.bodies.of(served);

			assertThat(rendered.body(stale)).isEqualTo(this.mapper.writeValueAsBytes(TokenResponse.of(served)));
			assertThat(new String(rendered.body(stale), StandardCharsets.UTF_8)).contains("\"stale\":" + stale);
			assertThat(rendered.expiresAt()).isEqualTo("2026-11-29T01:58:11Z");
			assertThat(rendered.refreshBy()).isEqualTo("2026-11-28T13:58:11.250Z");
		}
	}

	@Test
	void ofWhenNoScoringUriThenFieldOmittedAsJacksonDoes() {
		TokenBroker.Served served = new TokenBroker.Served(token("secret-value-1", null), false, false);

		byte[] body = this.bodies.of(served).body(false);

		assertThat(body).isEqualTo(this.mapper.writeValueAsBytes(TokenResponse.of(served)));
		assertThat(new String(body, StandardCharsets.UTF_8)).doesNotContain("scoringUri");
	}

	@Test
	void ofWhenSameTokenInstanceThenRenderedOnce() {
		BrokeredToken token = token("secret-value-1", null);

		TokenResponseBodies.Rendered first = this.bodies.of(new TokenBroker.Served(token, false, false));
		TokenResponseBodies.Rendered second = this.bodies.of(new TokenBroker.Served(token, true, false));

		assertThat(second).isSameAs(first);
		assertThat(second.body(false)).isSameAs(first.body(false));
	}

	@Test
	void bodyWhenStaleAgainThenTheStaleBodyRenderedAtItsFirstUseIsReused() {
		TokenResponseBodies.Rendered rendered = this.bodies
			.of(new TokenBroker.Served(token("secret-value-1", null), true, false));

		byte[] stale = rendered.body(true);

		assertThat(rendered.body(true)).isSameAs(stale);
		assertThat(new String(stale, StandardCharsets.UTF_8)).contains("\"stale\":true");
	}

	@Test
	void ofWhenNewTokenThenRenderedAnew() {
		this.bodies.of(new TokenBroker.Served(token("secret-value-1", null), false, false));

		TokenResponseBodies.Rendered renewed = this.bodies
			.of(new TokenBroker.Served(token("secret-value-2", null), false, false));

		assertThat(new String(renewed.body(false), StandardCharsets.UTF_8)).contains("secret-value-2")
			.doesNotContain("secret-value-1");
	}

	@Test
	void toStringWhenRenderedThenNeverShowsTheToken() {
		TokenResponseBodies.Rendered rendered = this.bodies
			.of(new TokenBroker.Served(token("secret-value-1", null), false, false));

		assertThat(rendered.toString()).contains("fraud-scoring").doesNotContain("secret-value-1");
	}

	private static BrokeredToken token(String value, String scoringUri) {
		return new BrokeredToken(ServiceName.of("fraud-scoring"), "Bearer", value,
				Instant.parse("2026-11-28T13:58:11.250Z"), Instant.parse("2026-11-29T01:58:11Z"),
				Instant.parse("2026-11-28T13:28:11.768Z"), BrokeredToken.AML_TOKEN, scoringUri);
	}

}
