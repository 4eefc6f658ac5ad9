package com.acme.tokenbroker.fleet;

import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON of what instances seal into Redis (tokens, failures, the served key slot).
 * Deliberately not the application's mapper: every instance of a fleet must read what any
 * other wrote, so the stored format may not follow one instance's
 * {@code spring.jackson.*} settings; it changes only with a record's version field.
 */
final class SharedFormat {

	static final JsonMapper MAPPER = JsonMapper.builder().build();

	private SharedFormat() {
	}

}
