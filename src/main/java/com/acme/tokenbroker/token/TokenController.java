package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /tokens/{service}}: validate the name (400), check the caller's grant (403),
 * find the service (404), then serve from the cache. The grant comes first so that a
 * caller learns nothing of services it is not granted, not even whether they exist: 404
 * only when a granted pattern matches a name that is not configured. {@code GET
 * /tokens/{service}/status} gives the same caller the service's metadata, and
 * {@code GET /tokens} lists what the caller may fetch; neither ever shows a token.
 */
@RestController
class TokenController {

	static final String STALE_HEADER = "Token-Stale";

	static final String EXPIRES_HEADER = "Token-Expires-At";

	static final String REFRESH_BY_HEADER = "Token-Refresh-By";

	private final ServiceCatalog catalog;

	private final AccessPolicy accessPolicy;

	private final TokenBroker broker;

	private final TokenCache cache;

	private final java.time.Clock clock;

	private final Duration maxMinTtl;

	private final TokenStatuses statuses;

	private final TokenResponseBodies bodies;

	TokenController(ServiceCatalog catalog, AccessPolicy accessPolicy, TokenBroker broker, TokenCache cache,
			TokenStatuses statuses, TokenProperties properties, java.time.Clock clock, TokenResponseBodies bodies) {
		this.statuses = statuses;
		this.bodies = bodies;
		this.maxMinTtl = properties.maxMinTtl();
		this.catalog = catalog;
		this.accessPolicy = accessPolicy;
		this.broker = broker;
		this.cache = cache;
		this.clock = clock;
	}

	// The body is pre-rendered bytes; the document shows what they hold
	// (docs/openapi.yaml)
	@ApiResponse(responseCode = "200",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = TokenResponse.class)))
	@GetMapping(path = "/tokens/{service}", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<byte[]> token(@PathVariable("service") String service,
			@RequestParam(name = "minTtl", required = false) String minTtl, @AuthenticationPrincipal Jwt jwt) {
		TokenBroker.Served served = serve(service, minTtl, jwt);
		// The TokenResponse JSON, serialized once per cached token (see
		// TokenResponseBodies)
		TokenResponseBodies.Rendered rendered = this.bodies.of(served);
		return headers(served.stale(), rendered.expiresAt(), rendered.refreshBy())
			.contentType(MediaType.APPLICATION_JSON)
			.body(rendered.body(served.stale()));
	}

	@GetMapping(path = "/tokens/{service}", produces = MediaType.TEXT_PLAIN_VALUE)
	ResponseEntity<String> bareToken(@PathVariable("service") String service,
			@RequestParam(name = "minTtl", required = false) String minTtl, @AuthenticationPrincipal Jwt jwt) {
		TokenBroker.Served served = serve(service, minTtl, jwt);
		TokenResponseBodies.Rendered rendered = this.bodies.of(served);
		return headers(served.stale(), rendered.expiresAt(), rendered.refreshBy()).contentType(MediaType.TEXT_PLAIN)
			.body(served.token().value());
	}

	@GetMapping(path = "/tokens/{service}/status", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<ServiceStatus> status(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt) {
		ServiceDescriptor descriptor = authorize(service, jwt);
		return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(this.statuses.of(descriptor.name()));
	}

	@GetMapping(path = "/tokens", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<ServiceList> list(@AuthenticationPrincipal Jwt jwt) {
		Caller caller = Caller.from(jwt);
		Instant now = this.clock.instant();
		List<ServiceList.Entry> entries = new ArrayList<>();
		for (ServiceDescriptor service : this.catalog.services()) {
			if (this.accessPolicy.isAllowed(caller, service.name())) {
				BrokeredToken token = this.cache.current(service.name());
				entries.add(ServiceList.Entry.of(service, token,
						(token != null) && this.cache.policy().isStale(token, now)));
			}
		}
		return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(new ServiceList(entries));
	}

	private TokenBroker.Served serve(String service, String minTtl, Jwt jwt) {
		ServiceDescriptor descriptor = authorize(service, jwt);
		return this.broker.tokenFor(descriptor, parseMinTtl(minTtl, this.maxMinTtl));
	}

	private ServiceDescriptor authorize(String service, Jwt jwt) {
		return authorize(this.catalog, this.accessPolicy, service, jwt);
	}

	/**
	 * The service a caller may fetch, for every endpoint under {@code /tokens/{service}}.
	 * @throws ServiceAccessDeniedException when no rule grants the caller the name
	 * @throws UnknownServiceException when one does but no service has it
	 */
	static ServiceDescriptor authorize(ServiceCatalog catalog, AccessPolicy accessPolicy, String service, Jwt jwt) {
		ServiceName name = ServiceName.of(service);
		// Grant before existence: 404-vs-403 would otherwise enumerate the configured
		// services (issue 11, item 9)
		if (!accessPolicy.isAllowed(Caller.from(jwt), name)) {
			throw new ServiceAccessDeniedException(name);
		}
		return catalog.find(name).orElseThrow(() -> new UnknownServiceException(name));
	}

	private static ResponseEntity.BodyBuilder headers(boolean stale, String expiresAt, String refreshBy) {
		return ResponseEntity.ok().headers((headers) -> tokenHeaders(headers::set, stale, expiresAt, refreshBy));
	}

	/**
	 * The headers of a token answer, in the order they are written; the fast path
	 * ({@link CachedTokenFilter}) writes the same through this method.
	 * @param header where each header goes, name then value
	 * @param stale whether the token is past its refresh time
	 * @param expiresAt the token's expiry, ISO-8601
	 * @param refreshBy when the token should be refreshed, ISO-8601
	 */
	static void tokenHeaders(BiConsumer<String, String> header, boolean stale, String expiresAt, String refreshBy) {
		header.accept(HttpHeaders.CACHE_CONTROL, "no-store");
		header.accept(HttpHeaders.PRAGMA, "no-cache");
		header.accept(STALE_HEADER, Boolean.toString(stale));
		header.accept(EXPIRES_HEADER, expiresAt);
		header.accept(REFRESH_BY_HEADER, refreshBy);
	}

	static Duration parseMinTtl(String value, Duration max) {
		if (value == null || value.isBlank()) {
			return Duration.ZERO;
		}
		if (value.length() > 32) {
			throw new InvalidMinTtlException("minTtl is too long");
		}
		Duration parsed;
		try {
			parsed = value.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(value))
					: Duration.parse(value);
		}
		catch (NumberFormatException | DateTimeParseException ex) {
			throw new InvalidMinTtlException(
					"minTtl must be an ISO-8601 duration such as PT10M, or a number of seconds");
		}
		if (parsed.isNegative()) {
			throw new InvalidMinTtlException("minTtl must not be negative");
		}
		if (parsed.compareTo(max) > 0) {
			throw new InvalidMinTtlException("minTtl must be at most " + max + " (broker.tokens.max-min-ttl)");
		}
		return parsed;
	}

}
