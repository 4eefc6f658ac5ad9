package com.acme.tokenbroker.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntSupplier;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A tiny HTTP client for integration tests against the broker on loopback.
 */
public final class Http {

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final String host;

	private final IntSupplier port;

	public Http(int port) {
		this(() -> port);
	}

	/**
	 * A client for the broker on another loopback address.
	 * @param host the host as a URL writes it, e.g. {@code [::1]}
	 * @param port the port
	 */
	public Http(String host, int port) {
		this.host = host;
		this.port = () -> port;
	}

	/**
	 * A client whose port is read at each request, for a bean created before the server
	 * has bound its port (see {@link SimulatedWorkspaceTest}).
	 * @param port the port, read at each request
	 */
	public Http(IntSupplier port) {
		this.host = "127.0.0.1";
		this.port = port;
	}

	private URI uri(String path) {
		return URI.create("http://" + this.host + ":" + this.port.getAsInt() + path);
	}

	public Response get(String path, String bearer) {
		return get(path, bearer, "application/json");
	}

	public Response get(String path, String bearer, String accept) {
		HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
			.timeout(Duration.ofSeconds(20))
			.header("Accept", accept)
			.GET();
		if (bearer != null) {
			request.header("Authorization", "Bearer " + bearer);
		}
		return send(request.build());
	}

	public Response postWithBearer(String path, String bearer) {
		return send(HttpRequest.newBuilder(uri(path))
			.timeout(Duration.ofSeconds(20))
			.header("Authorization", "Bearer " + bearer)
			.header("Accept", "application/json")
			.POST(HttpRequest.BodyPublishers.noBody())
			.build());
	}

	/**
	 * @param bearer the caller's token, or {@code null} for none
	 * @param body the body, sent as {@code application/json}
	 */
	public Response postJson(String path, String bearer, String body) {
		HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
			.timeout(Duration.ofSeconds(20))
			.header("Content-Type", "application/json")
			.header("Accept", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (bearer != null) {
			request.header("Authorization", "Bearer " + bearer);
		}
		return send(request.build());
	}

	public Response post(String path) {
		return send(HttpRequest.newBuilder(uri(path))
			.timeout(Duration.ofSeconds(20))
			.POST(HttpRequest.BodyPublishers.noBody())
			.build());
	}

	private static Response send(HttpRequest request) {
		try {
			HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
			return new Response(response.statusCode(), response.headers().map(), response.body());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** A response: status, headers, body. */
	public record Response(int status, Map<String, java.util.List<String>> headers, String body) {

		public String header(String name) {
			return this.headers.entrySet()
				.stream()
				.filter((e) -> e.getKey().equalsIgnoreCase(name))
				.map((e) -> e.getValue().get(0))
				.findFirst()
				.orElse(null);
		}

		public JsonNode json() {
			return JsonMapper.shared().readTree(this.body);
		}

		@Override
		public String toString() {
			return "Response[" + this.status + "]";
		}

	}

}
