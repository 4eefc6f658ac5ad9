package com.acme.tokenbroker.fleet;

import java.time.Instant;
import java.util.Optional;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.BrokeredToken;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link BrokeredToken} as the plaintext of a sealed Redis value: JSON with epoch milliseconds. The service name is
 * not stored: it is in the Redis key, which the seal authenticates.
 */
final class SharedTokenCodec {

	private static final JsonMapper mapper = JsonMapper.builder().build();

	private SharedTokenCodec() {
	}

	static byte[] encode(BrokeredToken token) {
		return mapper.writeValueAsBytes(new Stored(Stored.VERSION, token.tokenType(), token.value(), token.refreshAfter().toEpochMilli(),
				token.expiresAt().toEpochMilli(), token.fetchedAt().toEpochMilli(), token.credentialType(),
				token.scoringUri()));
	}

	/**
	 * @param service the service the Redis key names
	 * @param plaintext an opened value
	 * @return the token, or empty when the plaintext is not a complete token
	 */
	static Optional<BrokeredToken> decode(ServiceName service, byte[] plaintext) {
		try {
			Stored stored = mapper.readValue(plaintext, Stored.class);
			if (stored.v() != Stored.VERSION || stored.tokenType() == null || stored.value() == null || stored.value().isEmpty()
					|| stored.credentialType() == null || stored.expiresAt() <= 0 || stored.fetchedAt() <= 0
					|| stored.refreshAfter() <= 0) {
				return Optional.empty();
			}
			return Optional.of(new BrokeredToken(service, stored.tokenType(), stored.value(),
					Instant.ofEpochMilli(stored.refreshAfter()), Instant.ofEpochMilli(stored.expiresAt()),
					Instant.ofEpochMilli(stored.fetchedAt()), stored.credentialType(), stored.scoringUri()));
		}
		catch (JacksonException ex) {
			return Optional.empty();
		}
	}

	/** The stored fields; {@code v} changes with their meaning, and a value of another version is a miss. */
	record Stored(int v, String tokenType, String value, long refreshAfter, long expiresAt, long fetchedAt,
			String credentialType, String scoringUri) {

		static final int VERSION = 1;

		@Override
		public String toString() {
			return "Stored[credentialType=" + this.credentialType + ", expiresAt=" + this.expiresAt + "]";
		}

	}

}
