package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import com.acme.tokenbroker.upstream.UpstreamException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fleet peer's failed fetch, as the plaintext of a sealed Redis value
 * ({@code <prefix>:failed:{...}}): the failure's kind and upstream status and until when
 * the fleet leaves the upstream alone. It holds no secret and no upstream message (those
 * may quote a request); it is sealed all the same, so that whoever can write to Redis
 * cannot make the fleet refuse a service.
 *
 * @param kind the failure kind
 * @param status the upstream's HTTP status, {@code 0} when it did not answer
 * @param until until when no instance calls the upstream for the service
 */
record SharedFailure(UpstreamException.Kind kind, int status, Instant until) {

	private static final JsonMapper mapper = SharedFormat.MAPPER;

	static final int VERSION = 1;

	/**
	 * @param failure the holder's failure
	 * @return whether it says something about the upstream that every instance would
	 * meet: a failure the broker itself made (its breaker, its limiter, a peer fetching)
	 * is this instance's own business
	 */
	static boolean isShared(UpstreamException failure) {
		UpstreamException.Kind kind = failure.getKind();
		return kind != UpstreamException.Kind.BREAKER_OPEN && kind != UpstreamException.Kind.LOCALLY_LIMITED
				&& kind != UpstreamException.Kind.PEER_FETCHING;
	}

	byte[] encode() {
		return mapper.writeValueAsBytes(new Stored(VERSION, this.kind.name(), this.status, this.until.toEpochMilli()));
	}

	static Optional<SharedFailure> decode(byte[] plaintext) {
		try {
			Stored stored = mapper.readValue(plaintext, Stored.class);
			if (stored.v() != VERSION || stored.kind() == null || stored.until() <= 0) {
				return Optional.empty();
			}
			return Optional.of(new SharedFailure(UpstreamException.Kind.valueOf(stored.kind()), stored.status(),
					Instant.ofEpochMilli(stored.until())));
		}
		catch (JacksonException | IllegalArgumentException ex) {
			return Optional.empty();
		}
	}

	/**
	 * @param service the service's name, for the message
	 * @param now the current instant
	 * @param floor the shortest retry to announce
	 * @return the failure as this instance reports it: same kind and status, retry when
	 * the record ends
	 */
	UpstreamException toException(Object service, Instant now, Duration floor) {
		Duration retryAfter = Duration.between(now, this.until);
		if (retryAfter.compareTo(floor) < 0) {
			retryAfter = floor;
		}
		return new UpstreamException(this.kind, this.status, retryAfter,
				"A fleet peer's fetch of the token of service '" + service + "' failed (" + this.kind.tag()
						+ "); the fleet leaves the upstream alone until " + this.until);
	}

	/** The stored fields; {@code v} changes with their meaning. */
	record Stored(int v, String kind, int status, long until) {

	}

}
