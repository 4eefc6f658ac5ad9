package com.acme.tokenbroker.simulator;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A regeneration request body: {@code {"keyType": "Primary" | "Secondary", "keyValue":
 * <string, null or absent>}}, the same for MMS v1 and ARM v2 (§3.7, §4). Parse errors
 * never quote the body, which may hold a key.
 */
record KeyRequest(KeyType slot, String keyValue) {

	static KeyRequest parse(byte[] body) {
		JsonNode json;
		try {
			json = (body.length == 0) ? null : Json.MAPPER.readTree(body);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("The request body is not valid JSON.");
		}
		if (json == null || !json.isObject()) {
			throw new IllegalArgumentException(
					"The request body must be a JSON object with keyType 'Primary' or 'Secondary'.");
		}
		JsonNode keyType = json.get("keyType");
		KeyType slot = (keyType != null && keyType.isString()) ? KeyType.fromWireName(keyType.stringValue()) : null;
		if (slot == null) {
			throw new IllegalArgumentException("keyType is required and must be 'Primary' or 'Secondary'.");
		}
		JsonNode keyValue = json.get("keyValue");
		if (keyValue == null || keyValue.isNull()) {
			return new KeyRequest(slot, null);
		}
		if (!keyValue.isString() || keyValue.stringValue().isBlank()) {
			throw new IllegalArgumentException("keyValue must be a non-empty string, null or absent.");
		}
		return new KeyRequest(slot, keyValue.stringValue());
	}

	@Override
	public String toString() {
		return "KeyRequest[" + this.slot + ", keyValue=" + ((this.keyValue != null) ? "(redacted)" : "null") + "]";
	}

}
