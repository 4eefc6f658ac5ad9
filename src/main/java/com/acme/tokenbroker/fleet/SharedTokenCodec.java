package com.acme.tokenbroker.fleet;

import java.time.Instant;
import java.util.Optional;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.BrokeredToken;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link BrokeredToken} as the plaintext of a sealed Redis value: JSON with epoch
 * milliseconds, and the value's sequence number, which only moves forward per Redis key
 * (see {@link SharedTokenSource}). The service name is not stored: it is in the Redis
 * key, which the seal authenticates, so the sequence number is bound to the service too.
 */
final class SharedTokenCodec {

	private static final JsonMapper mapper = SharedFormat.MAPPER;

	private SharedTokenCodec() {
	}

	/**
	 * @param token the token to store
	 * @param sequence its sequence number, greater than that of any value the writer saw
	 * under the same Redis key
	 * @return the plaintext to seal
	 */
	static byte[] encode(BrokeredToken token, long sequence) {
		return mapper.writeValueAsBytes(new Stored(Stored.VERSION, sequence, token.tokenType(), token.value(),
				token.refreshAfter().toEpochMilli(), token.expiresAt().toEpochMilli(), token.fetchedAt().toEpochMilli(),
				token.credentialType(), token.scoringUri()));
	}

	/**
	 * @param service the service the Redis key names
	 * @param plaintext an opened value
	 * @return the token and its sequence number, or empty when the plaintext is not a
	 * complete token
	 */
	static Optional<Shared> decode(ServiceName service, byte[] plaintext) {
		try {
			Stored stored = mapper.readValue(plaintext, Stored.class);
			if (stored.v() != Stored.VERSION || stored.seq() <= 0 || stored.tokenType() == null
					|| stored.value() == null || stored.value().isEmpty() || stored.credentialType() == null
					|| stored.expiresAt() <= 0 || stored.fetchedAt() <= 0 || stored.refreshAfter() <= 0) {
				return Optional.empty();
			}
			return Optional.of(new Shared(
					new BrokeredToken(service, stored.tokenType(), stored.value(),
							Instant.ofEpochMilli(stored.refreshAfter()), Instant.ofEpochMilli(stored.expiresAt()),
							Instant.ofEpochMilli(stored.fetchedAt()), stored.credentialType(), stored.scoringUri()),
					stored.seq()));
		}
		catch (JacksonException ex) {
			return Optional.empty();
		}
	}

	/**
	 * An opened value.
	 *
	 * @param token the token
	 * @param sequence its sequence number
	 */
	record Shared(BrokeredToken token, long sequence) {

	}

	/**
	 * The stored fields; {@code v} changes with their meaning, and a value of another
	 * version is a miss (version 2 added {@code seq}: version 1 values, which a replay
	 * could not be told from, are no longer taken).
	 */
	record Stored(int v, long seq, String tokenType, String value, long refreshAfter, long expiresAt, long fetchedAt,
			String credentialType, String scoringUri) {

		static final int VERSION = 2;

		@Override
		public String toString() {
			return "Stored[credentialType=" + this.credentialType + ", expiresAt=" + this.expiresAt + "]";
		}

	}

}
