package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An answer produced by one of the simulated APIs, written by a {@link Listener}.
 */
record SimResponse(int status, Map<String, List<String>> headers, byte[] body) {

	static final String JSON = "application/json; charset=utf-8";

	static SimResponse json(int status, Object body) {
		return of(status, JSON, Json.write(body));
	}

	static SimResponse text(int status, String contentType, String body) {
		return of(status, contentType, body.getBytes(StandardCharsets.UTF_8));
	}

	static SimResponse empty(int status) {
		return new SimResponse(status, new LinkedHashMap<>(), new byte[0]);
	}

	private static SimResponse of(int status, String contentType, byte[] body) {
		Map<String, List<String>> headers = new LinkedHashMap<>();
		headers.put("Content-Type", List.of(contentType));
		return new SimResponse(status, headers, body);
	}

	SimResponse withHeader(String name, String value) {
		Map<String, List<String>> copy = new LinkedHashMap<>(this.headers);
		copy.put(name, List.of(value));
		return new SimResponse(this.status, copy, this.body);
	}

	@Override
	public String toString() {
		return "SimResponse[" + this.status + "]";
	}

}
