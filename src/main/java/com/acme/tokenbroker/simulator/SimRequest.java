package com.acme.tokenbroker.simulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request as read by a {@link Listener}. Header names are lower case.
 */
record SimRequest(String method, String path, String rawPath, String rawQuery, Map<String, List<String>> headers,
		byte[] body) {

	String header(String name) {
		List<String> values = this.headers.get(name.toLowerCase(Locale.ROOT));
		return (values == null || values.isEmpty()) ? null : values.get(0);
	}

	String contentType() {
		return header("content-type");
	}

	String bodyText() {
		return new String(this.body, StandardCharsets.UTF_8);
	}

	/**
	 * Return the query parameters; a repeated name keeps its first value.
	 */
	Map<String, String> queryParameters() {
		return decodeForm(this.rawQuery);
	}

	static Map<String, String> decodeForm(String encoded) {
		Map<String, String> result = new LinkedHashMap<>();
		if (encoded == null || encoded.isEmpty()) {
			return result;
		}
		for (String pair : encoded.split("&")) {
			if (pair.isEmpty()) {
				continue;
			}
			int eq = pair.indexOf('=');
			String name = URLDecoder.decode((eq < 0) ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
			String value = (eq < 0) ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
			result.putIfAbsent(name, value);
		}
		return result;
	}

	@Override
	public String toString() {
		return "SimRequest[" + this.method + " " + this.path + "]";
	}

}
