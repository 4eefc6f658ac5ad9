package com.acme.tokenbroker.simulator;

import tools.jackson.databind.json.JsonMapper;

/**
 * The simulator's shared Jackson 3 mapper.
 */
final class Json {

	static final JsonMapper MAPPER = JsonMapper.builder().build();

	private Json() {
	}

	static byte[] write(Object value) {
		return MAPPER.writeValueAsBytes(value);
	}

}
