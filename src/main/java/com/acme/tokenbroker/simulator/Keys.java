package com.acme.tokenbroker.simulator;

import java.util.Objects;

/**
 * The two keys of a simulated web service or online endpoint, as {@code listkeys} /
 * {@code listKeys} answer them ({@code AuthKeys}, {@code EndpointAuthKeys}). Keys never
 * expire; they change only by regeneration. {@link #toString()} leaves both out.
 *
 * @param primaryKey the primary key
 * @param secondaryKey the secondary key
 * @see SimulatedWorkspace#keys(String, String)
 */
public record Keys(String primaryKey, String secondaryKey) {

	public Keys {
		Objects.requireNonNull(primaryKey, "primaryKey must not be null");
		Objects.requireNonNull(secondaryKey, "secondaryKey must not be null");
	}

	@Override
	public String toString() {
		return "Keys[primaryKey=(redacted), secondaryKey=(redacted)]";
	}

}
