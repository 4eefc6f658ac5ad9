package com.acme.tokenbroker.upstream;

/**
 * A service's two keys. {@link #toString()} never shows them.
 *
 * @param primaryKey the primary key
 * @param secondaryKey the secondary key
 */
public record ServiceKeys(String primaryKey, String secondaryKey) {

	public String get(KeySlot slot) {
		return (slot == KeySlot.PRIMARY) ? this.primaryKey : this.secondaryKey;
	}

	@Override
	public String toString() {
		return "ServiceKeys[<redacted>]";
	}

}
