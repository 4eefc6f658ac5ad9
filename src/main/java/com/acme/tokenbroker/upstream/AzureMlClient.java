package com.acme.tokenbroker.upstream;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.system.Sleeper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;

/**
 * The Azure ML client: tokens, metadata and keys of both APIs ({@link AzureMlApi}), each
 * call through the region's guards ({@link RegionGuard}) and recorded in
 * {@code broker.upstream.calls} (a timer tagged with workspace, region, kind, operation
 * and outcome, with the histogram buckets of {@link #LATENCY_BUCKETS}). Failures are
 * logged once per call with their class, never with a body; refusals that need an
 * operator (401, 403, 404) at ERROR.
 * <p>
 * An asynchronous key regeneration (202) is followed by polling the operation the
 * upstream names, waiting its {@code Retry-After} between polls. The operation URL must
 * be https on the host the request went to: the broker never sends its bearer token
 * anywhere an upstream answer points.
 */
final class AzureMlClient implements UpstreamTokenClient, ServiceMetadataClient, ServiceKeysClient {

	private static final Logger logger = LoggerFactory.getLogger(AzureMlClient.class);

	/**
	 * The latency buckets of {@code broker.upstream.calls}, exported as a Prometheus
	 * histogram so dashboards and alerts can take quantiles across replicas
	 * ({@code histogram_quantile}) and count calls slower than an objective. Fixed
	 * service-level objectives, not percentile histograms: ten buckets per series keep
	 * the cardinality bounded, and they reach the default read timeout (10 s) and call
	 * timeout (15 s), beyond which a call fails anyway.
	 */
	static final Duration[] LATENCY_BUCKETS = { Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
			Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
			Duration.ofSeconds(10), Duration.ofSeconds(15) };

	private static final Pattern KEY_CHARS = Pattern.compile("[\\x21-\\x7E]{8,1024}");

	private final UpstreamHttp http;

	private final TokenResponseReader reader;

	private final RegionGuard guard;

	private final MeterRegistry meterRegistry;

	private final Sleeper sleeper;

	private final UpstreamProperties properties;

	private final Clock clock;

	/**
	 * @param sleeper waits between polls of an asynchronous operation
	 * @param clock measures the operation's deadline ({@code operation-timeout}); a
	 * test's sleeper advances it
	 */
	AzureMlClient(UpstreamHttp http, TokenResponseReader reader, RegionGuard guard, MeterRegistry meterRegistry,
			Sleeper sleeper, UpstreamProperties properties, Clock clock) {
		this.http = http;
		this.reader = reader;
		this.guard = guard;
		this.meterRegistry = meterRegistry;
		this.sleeper = sleeper;
		this.properties = properties;
		this.clock = clock;
	}

	@Override
	public UpstreamToken fetch(ServiceDescriptor service) {
		AzureMlApi api = AzureMlApi.of(service.kind());
		String what = api.describe("token", service);
		return call(service, "token", what,
				() -> this.reader.read(this.http.post(service.identity(), api.tokenUri(service), what),
						api.refreshField(), api.expiryField(), what));
	}

	@Override
	public ServiceMetadata describe(ServiceDescriptor service) {
		AzureMlApi api = AzureMlApi.of(service.kind());
		String what = api.describe("metadata", service);
		return call(service, "metadata", what,
				() -> readMetadata(service, this.http.get(service.identity(), api.uri(service, null), what), what));
	}

	@Override
	public ServiceKeys listKeys(ServiceDescriptor service) {
		AzureMlApi api = AzureMlApi.of(service.kind());
		String what = api.describe("keys", service);
		return call(service, "list_keys", what, () -> {
			JsonNode body = this.http.post(service.identity(), api.listKeysUri(service), what);
			return new ServiceKeys(key(body, "primaryKey", what), key(body, "secondaryKey", what));
		});
	}

	@Override
	public void regenerateKey(ServiceDescriptor service, KeySlot slot) {
		AzureMlApi api = AzureMlApi.of(service.kind());
		String what = api.describe(slot.wireName().toLowerCase(Locale.ROOT) + " key regeneration", service);
		URI uri = api.regenerateKeysUri(service);
		UpstreamHttp.Answer answer = call(service, "regenerate_key", what, () -> this.http.exchange(service.identity(),
				HttpMethod.POST, uri, Map.of("keyType", slot.wireName()), what));
		if (answer.status() != 202) {
			return;
		}
		String header = (service.kind() == ServiceKind.WEBSERVICE) ? "Operation-Location" : HttpHeaders.LOCATION;
		URI operation = operationUri(answer.headers().getFirst(header), uri, what);
		Instant deadline = this.clock.instant().plus(this.properties.operationTimeout());
		Duration wait = pollWait(answer);
		while (this.clock.instant().isBefore(deadline)) {
			pause(wait);
			UpstreamHttp.Answer poll = call(service, "operation_status", what,
					() -> this.http.exchange(service.identity(), HttpMethod.GET, operation, null, what));
			if (service.kind() == ServiceKind.WEBSERVICE) {
				String state = (poll.body() != null && poll.body().path("state").isString())
						? poll.body().path("state").stringValue() : "";
				if ("Succeeded".equalsIgnoreCase(state)) {
					return;
				}
				if (!"Running".equalsIgnoreCase(state) && !"NotStarted".equalsIgnoreCase(state)) {
					throw new UpstreamException(UpstreamException.Kind.OPERATION_FAILED, poll.status(), null,
							"The " + what + " ended " + (state.isEmpty() ? "without a state" : state));
				}
			}
			else if (poll.status() != 202) {
				return;
			}
			wait = pollWait(poll);
		}
		throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0, null,
				"The " + what + " did not finish within " + this.properties.operationTimeout());
	}

	private <T> T call(ServiceDescriptor service, String operation, String what, Supplier<T> call) {
		Timer.Sample sample = Timer.start(this.meterRegistry);
		String outcome = "success";
		try {
			return this.guard.call(service, what, call);
		}
		catch (UpstreamException ex) {
			outcome = ex.getKind().tag();
			if (ex.getKind() == UpstreamException.Kind.BREAKER_OPEN
					|| ex.getKind() == UpstreamException.Kind.LOCALLY_LIMITED) {
				logger.debug("{}", ex.getMessage());
			}
			else if (ex.getKind().isRetryable()) {
				logger.warn("Upstream call for service '{}' in region {} failed: {}", service.name(), service.region(),
						ex.getMessage());
			}
			else {
				logger.error("Upstream call for service '{}' in region {} was refused and needs an operator: {}",
						service.name(), service.region(), ex.getMessage());
			}
			throw ex;
		}
		finally {
			sample.stop(Timer.builder("broker.upstream.calls")
				.description("Upstream calls by workspace, region, kind, operation and outcome")
				.tag("workspace", service.workspace().alias())
				.tag("region", service.region())
				.tag("kind", service.kind().tag())
				.tag("operation", operation)
				.tag("outcome", outcome)
				.serviceLevelObjectives(LATENCY_BUCKETS)
				.register(this.meterRegistry));
		}
	}

	private static ServiceMetadata readMetadata(ServiceDescriptor service, JsonNode body, String what) {
		AuthMode mode;
		JsonNode scoring;
		if (service.kind() == ServiceKind.WEBSERVICE) {
			if (body.path("aadAuthEnabled").asBoolean(false)) {
				mode = AuthMode.AML_TOKEN;
			}
			else if (body.path("authEnabled").asBoolean(false)) {
				mode = AuthMode.KEY;
			}
			else {
				throw new UpstreamException(UpstreamException.Kind.REJECTED_REQUEST, 0, null,
						"The " + what + " says it needs no credential (neither token nor key auth is enabled)");
			}
			scoring = body.path("scoringUri");
		}
		else {
			String authMode = body.path("properties").path("authMode").asString("");
			mode = switch (authMode.toLowerCase(Locale.ROOT)) {
				case "amltoken" -> AuthMode.AML_TOKEN;
				case "key" -> AuthMode.KEY;
				case "aadtoken" -> AuthMode.AAD_TOKEN;
				default -> throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
						"The " + what + " has no known properties.authMode");
			};
			scoring = body.path("properties").path("scoringUri");
		}
		return new ServiceMetadata(mode, scoringUri(scoring));
	}

	private static String scoringUri(JsonNode node) {
		if (!node.isString() || node.stringValue().length() > 2048) {
			return null;
		}
		try {
			URI uri = URI.create(node.stringValue());
			return ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))
					&& uri.getHost() != null ? uri.toString() : null;
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private static String key(JsonNode body, String field, String what) {
		JsonNode node = body.get(field);
		if (node == null || !node.isString() || !KEY_CHARS.matcher(node.stringValue()).matches()) {
			throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0, null,
					"Response for " + what + " has no usable '" + field + "'");
		}
		return node.stringValue();
	}

	private static URI operationUri(String value, URI request, String what) {
		URI operation = null;
		try {
			operation = (value != null) ? request.resolve(value) : null;
		}
		catch (IllegalArgumentException ex) {
			// handled below
		}
		if (operation == null || !"https".equalsIgnoreCase(operation.getScheme())
				|| !request.getHost().equalsIgnoreCase(operation.getHost())
				|| request.getPort() != operation.getPort()) {
			throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 202, null,
					"The " + what + " was accepted without an operation URL on the same host to follow");
		}
		return operation;
	}

	private Duration pollWait(UpstreamHttp.Answer answer) {
		Duration retryAfter = this.http.retryAfter(answer.headers().getFirst(HttpHeaders.RETRY_AFTER));
		if (retryAfter == null || retryAfter.isZero()) {
			return this.properties.operationPollInterval();
		}
		return (retryAfter.compareTo(Duration.ofMinutes(1)) > 0) ? Duration.ofMinutes(1) : retryAfter;
	}

	private void pause(Duration wait) {
		try {
			this.sleeper.sleep(wait);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0, null, "Interrupted while waiting", ex);
		}
	}

}
