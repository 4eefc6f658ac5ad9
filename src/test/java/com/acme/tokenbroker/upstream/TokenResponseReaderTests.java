package com.acme.tokenbroker.upstream;

import java.time.Instant;

import com.acme.tokenbroker.support.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TokenResponseReaderTests {

	private static final long NOW = Instant.parse("2026-11-28T10:00:00Z").getEpochSecond();

	private final TokenResponseReader reader = new TokenResponseReader(MutableClock.startingAt("2026-11-28T10:00:00Z"));

	private static JsonNode json(String body) {
		return JsonMapper.shared().readTree(body);
	}

	private UpstreamToken read(String body) {
		return this.reader.read(json(body), "refreshAfter", "expiryOn", "token for service 'fraud'");
	}

	@Test
	void readWhenCompleteAuthTokenThenEpochSecondsBecomeInstants() {
		UpstreamToken token = read("{\"accessToken\":\"abc.def\",\"tokenType\":\"Bearer\",\"refreshAfter\":"
				+ (NOW + 1800) + ",\"expiryOn\":" + (NOW + 45000) + "}");

		assertThat(token.value()).isEqualTo("abc.def");
		assertThat(token.tokenType()).isEqualTo("Bearer");
		assertThat(token.refreshAfter()).isEqualTo(Instant.ofEpochSecond(NOW + 1800));
		assertThat(token.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW + 45000));
		assertThat(token.toString()).doesNotContain("abc.def");
	}

	@Test
	void readWhenJwtExpiresBeforeExpiryOnThenJwtExpWins() {
		String header = java.util.Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString("{\"alg\":\"RS256\"}".getBytes());
		String claims = java.util.Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString(("{\"exp\":" + (NOW + 3600) + "}").getBytes());
		String jwt = header + "." + claims + ".c2ln";

		UpstreamToken token = read("{\"accessToken\":\"" + jwt + "\",\"tokenType\":\"Bearer\",\"refreshAfter\":"
				+ (NOW + 1800) + ",\"expiryOn\":" + (NOW + 45000) + "}");

		assertThat(token.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW + 3600));
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d}",
			"{\"accessToken\":\"\",\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"has space\",\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"line\\r\\nX-Injected: 1\",\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":42,\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":\"%1$d\",\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":%1$d.5,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":%2$d,\"expiryOn\":%1$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":-1,\"expiryOn\":%2$d}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":1,\"expiryOn\":99999999999999}",
			"{\"accessToken\":\"t\",\"tokenType\":\"Bearer Evil\",\"refreshAfter\":%1$d,\"expiryOn\":%2$d}" })
	void readWhenFieldMissingMistypedOrInconsistentThenInvalidResponse(String template) {
		String body = String.format(template, NOW + 1800, NOW + 45000);

		assertThatExceptionOfType(UpstreamException.class).isThrownBy(() -> read(body))
			.satisfies((ex) -> assertThat(ex.getKind()).isEqualTo(UpstreamException.Kind.INVALID_RESPONSE));
	}

	@Test
	void readWhenExpiryAlreadyPastThenInvalidResponse() {
		assertThatExceptionOfType(UpstreamException.class)
			.isThrownBy(() -> read("{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfter\":" + (NOW - 100)
					+ ",\"expiryOn\":" + NOW + "}"))
			.withMessageContaining("already expired");
	}

	@Test
	void readWhenV2FieldNamesThenReadsThem() {
		UpstreamToken token = this.reader
			.read(json("{\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"refreshAfterTimeUtc\":" + (NOW + 60)
					+ ",\"expiryTimeUtc\":" + (NOW + 120) + "}"), "refreshAfterTimeUtc", "expiryTimeUtc", "x");

		assertThat(token.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW + 120));
	}

}
