package com.acme.tokenbroker.simulator;

/**
 * Which key a regeneration replaces: {@code keyType} of
 * {@code RegenerateServiceKeysRequest} (MMS v1) and {@code RegenerateEndpointKeysRequest}
 * (ARM v2).
 */
enum KeyType {

	PRIMARY("Primary"), SECONDARY("Secondary");

	private final String wireName;

	KeyType(String wireName) {
		this.wireName = wireName;
	}

	String wireName() {
		return this.wireName;
	}

	/**
	 * The key type named exactly {@code Primary} or {@code Secondary}, else {@code null}.
	 * The MMS swagger declares an integer with these names, but the SDK sends the names
	 * ({@code reference/azure-ml-auth.md} §3.7), so only the names are accepted.
	 */
	static KeyType fromWireName(String name) {
		for (KeyType type : values()) {
			if (type.wireName.equals(name)) {
				return type;
			}
		}
		return null;
	}

}
