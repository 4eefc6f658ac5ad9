package com.acme.tokenbroker.upstream;

/**
 * One of a key-auth service's two keys.
 */
public enum KeySlot {

	PRIMARY("Primary"), SECONDARY("Secondary");

	private final String wireName;

	KeySlot(String wireName) {
		this.wireName = wireName;
	}

	/**
	 * @return the {@code keyType} value of a regenerate request
	 */
	public String wireName() {
		return this.wireName;
	}

	public KeySlot other() {
		return (this == PRIMARY) ? SECONDARY : PRIMARY;
	}

}
