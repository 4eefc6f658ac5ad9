package com.acme.tokenbroker.fleet;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.BrokeredToken;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values in Redis are sealed with AES-256-GCM, name their key, are bound to their Redis
 * key, and anything that does not open is a miss.
 */
class TokenSealerTests {

	static final String K1 = key();

	static final String K2 = key();

	static final String REDIS_KEY = "token-broker:token:fraud:0123456789abcdef";

	static final BrokeredToken TOKEN = new BrokeredToken(ServiceName.of("fraud"), "Bearer",
			"eyJhbGciOiJSUzI1NiJ9.secret-part.sig", Instant.parse("2026-11-28T10:30:00Z"),
			Instant.parse("2026-11-28T22:30:00Z"), Instant.parse("2026-11-28T10:00:00.123Z"), "aml_token",
			"https://score.example/fraud");

	private static String key() {
		byte[] key = new byte[32];
		new SecureRandom().nextBytes(key);
		return Base64.getEncoder().encodeToString(key);
	}

	private static TokenSealer sealer(String active, Map<String, String> keys) {
		return new TokenSealer(new FleetProperties.Encryption(active, keys), new SecureRandom());
	}

	@Test
	void aSealedTokenOpensToTheSameTokenAndShowsNeitherItsValueNorItsFields() {
		TokenSealer sealer = sealer("k1", Map.of("k1", K1));

		String sealed = sealer.seal(REDIS_KEY, SharedTokenCodec.encode(TOKEN, 1));

		assertThat(sealed).startsWith("tb1.k1.").doesNotContain("eyJ").doesNotContain("secret-part");
		String ciphertext = new String(Base64.getUrlDecoder().decode(sealed.substring(7)), StandardCharsets.ISO_8859_1);
		assertThat(ciphertext).doesNotContain("secret-part")
			.doesNotContain("accessToken")
			.doesNotContain("score.example");
		BrokeredToken opened = sealer.open(REDIS_KEY, sealed)
			.flatMap((plaintext) -> SharedTokenCodec.decode(ServiceName.of("fraud"), plaintext))
			.map(SharedTokenCodec.Shared::token)
			.orElseThrow();
		assertThat(opened).isEqualTo(TOKEN);
	}

	@Test
	void eachSealUsesAFreshNonce() {
		TokenSealer sealer = sealer("k1", Map.of("k1", K1));
		byte[] plaintext = SharedTokenCodec.encode(TOKEN, 1);

		assertThat(sealer.seal(REDIS_KEY, plaintext)).isNotEqualTo(sealer.seal(REDIS_KEY, plaintext));
	}

	@Test
	void aValueMovedToAnotherServicesKeyDoesNotOpen() {
		TokenSealer sealer = sealer("k1", Map.of("k1", K1));
		String sealed = sealer.seal(REDIS_KEY, SharedTokenCodec.encode(TOKEN, 1));

		assertThat(sealer.open("token-broker:token:other:0123456789abcdef", sealed)).isEmpty();
	}

	@Test
	void anAlteredOrRelabelledOrForeignValueDoesNotOpen() {
		TokenSealer sealer = sealer("k1", Map.of("k1", K1, "k2", K2));
		String sealed = sealer.seal(REDIS_KEY, SharedTokenCodec.encode(TOKEN, 1));
		char[] chars = sealed.toCharArray();
		int last = chars.length - 5;
		chars[last] = (chars[last] == 'A') ? 'B' : 'A';

		assertThat(sealer.open(REDIS_KEY, new String(chars))).as("one character changed").isEmpty();
		assertThat(sealer.open(REDIS_KEY, sealed.replace("tb1.k1.", "tb1.k2."))).as("another key id").isEmpty();
		assertThat(sealer.open(REDIS_KEY, sealed.replace("tb1.", "tb2."))).as("another format").isEmpty();
		assertThat(sealer.open(REDIS_KEY, "tb1.k1.")).isEmpty();
		assertThat(sealer.open(REDIS_KEY, "tb1.k1.!!!not-base64")).isEmpty();
		assertThat(sealer.open(REDIS_KEY, "plain token")).isEmpty();
		assertThat(sealer.open(REDIS_KEY, null)).isEmpty();
	}

	@Test
	void aNewActiveKeyStillOpensWhatTheOldOneSealedAndAMissingKeyIsAMiss() {
		String sealedWithK1 = sealer("k1", Map.of("k1", K1)).seal(REDIS_KEY, SharedTokenCodec.encode(TOKEN, 1));
		TokenSealer rotated = sealer("k2", Map.of("k1", K1, "k2", K2));

		assertThat(rotated.open(REDIS_KEY, sealedWithK1)).isPresent();
		assertThat(rotated.seal(REDIS_KEY, SharedTokenCodec.encode(TOKEN, 1))).startsWith("tb1.k2.");
		assertThat(sealer("k2", Map.of("k2", K2)).open(REDIS_KEY, sealedWithK1)).as("k1 removed").isEmpty();
		assertThat(sealer("k1", Map.of("k1", K2)).open(REDIS_KEY, sealedWithK1)).as("same id, other key").isEmpty();
	}

	@Test
	void anIncompleteOrNonJsonPlaintextIsAMiss() {
		ServiceName fraud = ServiceName.of("fraud");
		assertThat(SharedTokenCodec.decode(fraud, "not json".getBytes(StandardCharsets.UTF_8))).isEmpty();
		assertThat(SharedTokenCodec.decode(fraud, "{\"tokenType\":\"Bearer\"}".getBytes(StandardCharsets.UTF_8)))
			.isEmpty();
		assertThat(SharedTokenCodec.decode(fraud, "[]".getBytes(StandardCharsets.UTF_8))).isEmpty();
		assertThat(SharedTokenCodec.decode(fraud, SharedTokenCodec.encode(TOKEN, 0))).as("no sequence number")
			.isEmpty();
		String otherVersion = new String(SharedTokenCodec.encode(TOKEN, 1), StandardCharsets.UTF_8).replace("\"v\":2",
				"\"v\":3");
		assertThat(otherVersion).contains("\"v\":3");
		assertThat(SharedTokenCodec.decode(fraud, otherVersion.getBytes(StandardCharsets.UTF_8))).as("another version")
			.isEmpty();
	}

}
