package com.acme.tokenbroker.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Function;

import com.acme.tokenbroker.principal.PrincipalCredential;
import com.acme.tokenbroker.principal.PrincipalUnavailableException;
import com.acme.tokenbroker.system.OutboundProxy;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * The one place that talks HTTP to Azure ML: a {@code POST} with the broker's bearer
 * token, bounded by connect and read timeouts and a response size cap, with failures
 * classified into {@link UpstreamException} kinds. Bodies are read into memory only up to
 * the cap and parsed only after a 2xx status.
 */
final class UpstreamHttp {

	private final RestClient restClient;

	private final Function<String, PrincipalCredential> principals;

	private final JsonMapper jsonMapper;

	private final long maxResponseBytes;

	private final Duration callTimeout;

	private final Clock clock;

	private final io.micrometer.core.instrument.Clock ticker;

	/**
	 * @param clock the broker's clock, for {@code Retry-After} dates
	 * @param ticker the monotonic time a call's deadline is measured on: real elapsed
	 * time, which a virtual broker clock in tests must not cut short
	 */
	UpstreamHttp(java.net.http.HttpClient httpClient, UpstreamProperties properties,
			Function<String, PrincipalCredential> principals, JsonMapper jsonMapper, Clock clock,
			io.micrometer.core.instrument.Clock ticker) {
		JdkClientHttpRequestFactory requestFactory = new JdkClientHttpRequestFactory(httpClient);
		requestFactory.setReadTimeout(properties.readTimeout());
		this.restClient = RestClient.builder().requestFactory(requestFactory).build();
		this.principals = principals;
		this.jsonMapper = jsonMapper;
		this.maxResponseBytes = properties.maxResponseSize().toBytes();
		this.callTimeout = properties.callTimeout();
		this.clock = clock;
		this.ticker = ticker;
	}

	/**
	 * An upstream answer with a 2xx status.
	 *
	 * @param status the status
	 * @param headers the response headers
	 * @param body the JSON object, or {@code null} when the body was empty
	 */
	record Answer(int status, HttpHeaders headers, JsonNode body) {
	}

	/**
	 * POST without a body and return the JSON object of a 200 or 201 answer.
	 * @param identity the alias of the broker identity to send the request as
	 * @param uri the fully built upstream URI
	 * @param what a short description for messages, e.g.
	 * {@code "token for service 'fraud'"}
	 * @return the JSON body
	 */
	JsonNode post(String identity, URI uri, String what) {
		return requireBody(exchange(identity, HttpMethod.POST, uri, null, what), what);
	}

	/**
	 * GET and return the JSON object of a 200 answer.
	 * @param identity the alias of the broker identity to send the request as
	 * @param uri the fully built upstream URI
	 * @param what a short description for messages
	 * @return the JSON body
	 */
	JsonNode get(String identity, URI uri, String what) {
		return requireBody(exchange(identity, HttpMethod.GET, uri, null, what), what);
	}

	private static JsonNode requireBody(Answer answer, String what) {
		if (answer.body() == null || answer.status() == 202) {
			throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, answer.status(), null,
					"Response for " + what + " has no JSON body");
		}
		return answer.body();
	}

	/**
	 * Send a request with the broker's bearer token and return a 2xx answer; anything
	 * else is thrown as a classified {@link UpstreamException}.
	 * @param identity the alias of the broker identity whose bearer token the request
	 * carries
	 * @param method the method
	 * @param uri the fully built upstream URI
	 * @param jsonBody a body to send as JSON, or {@code null} for none
	 * @param what a short description for messages
	 * @return the answer
	 */
	Answer exchange(String identity, HttpMethod method, URI uri, Object jsonBody, String what) {
		String bearer;
		try {
			bearer = this.principals.apply(identity).bearerToken();
		}
		catch (PrincipalUnavailableException ex) {
			throw new UpstreamException(UpstreamException.Kind.PRINCIPAL_UNAVAILABLE, 0, null,
					"Cannot request " + what + ": " + ex.getMessage(), ex);
		}
		long deadline = this.ticker.monotonicTime() + this.callTimeout.toNanos();
		try {
			RestClient.RequestBodySpec request = this.restClient.method(method)
				.uri(uri)
				.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
				.accept(MediaType.APPLICATION_JSON);
			if (jsonBody != null) {
				request.contentType(MediaType.APPLICATION_JSON).body(this.jsonMapper.writeValueAsBytes(jsonBody));
			}
			else if (method == HttpMethod.POST) {
				request.contentLength(0);
			}
			return request.exchange((req, response) -> {
				int status = response.getStatusCode().value();
				byte[] body = readCapped(response.getBody(), what, deadline);
				if (status == 200 || status == 201 || status == 202) {
					return new Answer(status, response.getHeaders(), (body.length == 0) ? null : parse(body, what));
				}
				throw classify(status, response.getHeaders(), what);
			}, true);
		}
		catch (UpstreamException ex) {
			throw ex;
		}
		catch (ResourceAccessException ex) {
			throw fromIo(ex.getCause(), what);
		}
		catch (RuntimeException ex) {
			throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0, null,
					"Request for " + what + " failed (" + ex.getClass().getSimpleName() + ")", ex);
		}
	}

	/**
	 * Read the body up to the size cap and the call deadline. Each read is bounded by the
	 * read timeout; the deadline is checked between reads, so an answer trickling in byte
	 * by byte still ends.
	 */
	private byte[] readCapped(InputStream body, String what, long deadline) throws IOException {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		byte[] buffer = new byte[8192];
		int read;
		while ((read = body.read(buffer)) != -1) {
			out.write(buffer, 0, read);
			if (out.size() > this.maxResponseBytes) {
				throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
						"Response for " + what + " exceeds " + this.maxResponseBytes + " bytes");
			}
			if (this.ticker.monotonicTime() - deadline > 0) {
				throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0, null,
						"Response for " + what + " took longer than " + this.callTimeout);
			}
		}
		return out.toByteArray();
	}

	private JsonNode parse(byte[] body, String what) {
		try {
			JsonNode node = this.jsonMapper.readTree(body);
			if (node == null || !node.isObject()) {
				throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
						"Response for " + what + " is not a JSON object");
			}
			return node;
		}
		catch (JacksonException ex) {
			throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
					"Response for " + what + " is not valid JSON");
		}
	}

	private UpstreamException classify(int status, HttpHeaders headers, String what) {
		Duration retryAfter = retryAfter(headers.getFirst(HttpHeaders.RETRY_AFTER));
		String message = "Upstream answered " + status + " for " + what;
		if (status == 401 || status == 403) {
			return new UpstreamException(UpstreamException.Kind.REJECTED_PRINCIPAL, status, retryAfter,
					message + ": the broker's principal is not authorized (check its role assignment)");
		}
		if (status == 407) {
			// the outbound proxy's answer, not the upstream's: the JDK hands a 407 to a
			// CONNECT back as the response
			return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, status, retryAfter,
					"The outbound proxy refused the request for " + what
							+ ": it wants credentials (check broker.upstream.proxy)");
		}
		if (status == 404) {
			return new UpstreamException(UpstreamException.Kind.NOT_FOUND, status, retryAfter,
					message + ": no such service or endpoint upstream");
		}
		if (status == 429) {
			return new UpstreamException(UpstreamException.Kind.THROTTLED, status, retryAfter, message + ": throttled");
		}
		if (status == 408 || status >= 500) {
			return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, status, retryAfter, message);
		}
		if (status >= 200 && status < 300) {
			return new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, status, retryAfter,
					message + ": unexpected success status");
		}
		return new UpstreamException(UpstreamException.Kind.REJECTED_REQUEST, status, retryAfter, message);
	}

	private UpstreamException fromIo(Throwable cause, String what) {
		if (cause instanceof UpstreamException upstream) {
			return upstream;
		}
		String condition;
		if (cause instanceof HttpConnectTimeoutException) {
			condition = "connect timed out";
		}
		else if (cause instanceof HttpTimeoutException) {
			condition = "read timed out";
		}
		else if (cause instanceof ConnectException) {
			condition = "connection refused";
		}
		else if (OutboundProxy.describeRefusal(cause) != null) {
			condition = OutboundProxy.describeRefusal(cause);
		}
		else {
			condition = (cause != null) ? cause.getClass().getSimpleName() : "I/O error";
		}
		return new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0, null,
				"Request for " + what + " failed: " + condition, cause);
	}

	/**
	 * Parse {@code Retry-After}: delta seconds or an HTTP date (RFC 9110 §10.2.3).
	 * Nonsense is ignored; values are capped at one hour so a hostile upstream cannot
	 * park refreshes forever.
	 */
	Duration retryAfter(String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		Duration parsed;
		try {
			parsed = Duration.ofSeconds(Long.parseLong(value.trim()));
		}
		catch (NumberFormatException ex) {
			try {
				Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
				parsed = Duration.between(this.clock.instant(), at);
			}
			catch (DateTimeParseException notADate) {
				return null;
			}
		}
		if (parsed.isNegative()) {
			return Duration.ZERO;
		}
		return (parsed.compareTo(Duration.ofHours(1)) > 0) ? Duration.ofHours(1) : parsed;
	}

}
