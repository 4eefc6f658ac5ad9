package com.acme.tokenbroker.simulator;

import java.util.List;
import java.util.Map;

/**
 * One request and its answer as seen by a listener of the {@link SimulatedWorkspace},
 * kept for contract tests. Request header <em>names</em> are kept, never their values, so
 * no {@code Authorization} value is stored; bodies are kept (they may hold secrets and
 * tokens), so {@link #toString()} leaves them out. Bodies longer than 64 KiB are cut;
 * {@link #responseBodyLength()} gives the full length.
 *
 * @param listener {@code entra} or the region name
 * @param operation the operation the request was classified as
 * @param method the HTTP method
 * @param path the raw request path
 * @param query the raw query string, or {@code null}
 * @param requestHeaderNames the request header names, lower case
 * @param requestContentType the request {@code Content-Type}, or {@code null}
 * @param requestBody the request body as UTF-8 text
 * @param status the response status
 * @param responseHeaders the response headers set by the simulator
 * @param responseBody the response body as UTF-8 text (possibly cut)
 * @param responseBodyLength the full response body length in bytes
 */
public record RecordedExchange(String listener, Operation operation, String method, String path, String query,
		List<String> requestHeaderNames, String requestContentType, String requestBody, int status,
		Map<String, List<String>> responseHeaders, String responseBody, int responseBodyLength) {

	static final int MAX_BODY_CHARS = 64 * 1024;

	/**
	 * Return the first value of a response header, matched case-insensitively.
	 * @param name the header name
	 * @return the value or {@code null}
	 */
	public String responseHeader(String name) {
		for (Map.Entry<String, List<String>> entry : this.responseHeaders.entrySet()) {
			if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
				return entry.getValue().get(0);
			}
		}
		return null;
	}

	@Override
	public String toString() {
		return "RecordedExchange[" + this.listener + " " + this.method + " " + this.operation + " -> " + this.status
				+ "]";
	}

}
