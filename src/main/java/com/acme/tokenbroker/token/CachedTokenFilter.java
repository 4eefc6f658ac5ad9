package com.acme.tokenbroker.token;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import com.acme.tokenbroker.security.VerifiedTokenCache;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.tomcat.util.buf.ByteChunk;
import org.apache.tomcat.util.buf.MessageBytes;
import org.apache.tomcat.util.http.MimeHeaders;

import org.springframework.http.HttpHeaders;

/**
 * The fast path of {@code GET /tokens/{service}}: a request that the full chain (Spring
 * Security's filters, then Spring MVC and {@link TokenController}) would answer from the
 * cache is answered here, before both, with the very same response; every other request
 * goes down the full chain untouched.
 * <p>
 * Answered here only when all of these hold, else {@code chain.doFilter} as if this
 * filter were absent:
 * <ul>
 * <li>{@code GET}, no query string, the request URI exactly {@code /tokens/} followed by
 * the name of a configured service (byte for byte: no path parameter, no encoded
 * character, no dot segment, no double slash, no context path);</li>
 * <li>no {@code Accept} header, or one that is exactly {@code application/json} or
 * {@code *}{@code /*} (the full chain's content negotiation picks JSON for all three:
 * most HTTP clients send one of the last two), and none of the conditional request
 * headers;</li>
 * <li>one {@code Authorization} header whose bearer token the {@link VerifiedTokenCache}
 * holds as verified and unexpired (a token never seen is verified by the full chain,
 * which caches it);</li>
 * <li>the caller granted the service by the {@link AccessPolicy}, as the controller asks
 * it;</li>
 * <li>a cached token usable now ({@link TokenBroker#cached}: a hit or a stale hit for
 * {@code minTtl} zero, counted in {@code broker.token.requests} as the controller's path
 * counts it).</li>
 * </ul>
 * The answer is {@link TokenResponseBodies}' pre-rendered JSON with the controller's
 * headers and the headers Spring Security's defaults add to every response, in the order
 * the full chain writes them (tests compare the two byte for byte). No lock, no I/O
 * before the response, no verification: the work is a SHA-256 of the caller's token, a
 * few map reads and the authorization rules.
 * <p>
 * It runs first, before Spring's server observation filter too: that observation (a timer
 * and a long-task timer started and stopped per request, with their tags computed each
 * time) was a large share of a fast-path request's cost in profiles (bench/README.md). A
 * request answered here is recorded in the observation's own {@code http.server.requests}
 * timer (same name and tags: {@code GET}, {@code 200}, {@code SUCCESS},
 * {@code uri=/tokens/{service}}), from the start of this filter to the flushed response;
 * it does not appear in the in-flight {@code http.server.requests.active} gauge.
 * <p>
 * On Tomcat, the request is read and the answer written through Tomcat's own objects
 * ({@link TomcatExchange}): the headers as bytes, without the strings and encoders the
 * servlet API makes for each, which were most of a request's garbage. The decisions and
 * the bytes sent are the same either way.
 */
final class CachedTokenFilter implements Filter {

	static final String PREFIX = "/tokens/";

	/**
	 * An {@code Accept} served here, as is {@link #ANY} and none; anything else is the
	 * full chain's content negotiation.
	 */
	static final String JSON = "application/json";

	static final String ANY = "*/*";

	/** The {@code http.server.requests} URI tag of the controller's mapping. */
	static final String PATH_PATTERN = "/tokens/{service}";

	/** The metric Spring's server observation records for every request. */
	static final String REQUESTS_METRIC = "http.server.requests";

	/**
	 * Spring Security's default {@code Strict-Transport-Security} value, which it writes
	 * on secure requests only.
	 */
	static final String HSTS = "max-age=31536000 ; includeSubDomains";

	/**
	 * Room for the header values of an answer (about 120 bytes, 160 with HSTS); more
	 * takes a second buffer.
	 */
	private static final int ENCODED_VALUES_CAPACITY = 192;

	private static final String[] CONDITIONAL_HEADERS = { HttpHeaders.IF_MATCH, HttpHeaders.IF_NONE_MATCH,
			HttpHeaders.IF_MODIFIED_SINCE, HttpHeaders.IF_UNMODIFIED_SINCE, HttpHeaders.IF_RANGE, HttpHeaders.RANGE };

	/**
	 * The configured services by their canonical path ({@code /tokens/} and the name),
	 * looked up without a copy.
	 */
	private final Map<String, ServiceDescriptor> services;

	private final ServicePaths servicePaths;

	private final VerifiedTokenCache verified;

	private final AccessPolicy accessPolicy;

	private final TokenBroker broker;

	private final TokenResponseBodies bodies;

	private final Timer served;

	private final Clock ticker;

	CachedTokenFilter(ServiceCatalog catalog, VerifiedTokenCache verified, AccessPolicy accessPolicy,
			TokenBroker broker, TokenResponseBodies bodies, MeterRegistry meterRegistry) {
		Map<String, ServiceDescriptor> byPath = new HashMap<>();
		for (ServiceDescriptor service : catalog.services()) {
			byPath.put(PREFIX + service.name().value(), service);
		}
		this.services = Map.copyOf(byPath);
		this.servicePaths = new ServicePaths(this.services);
		this.verified = verified;
		this.accessPolicy = accessPolicy;
		this.broker = broker;
		this.bodies = bodies;
		// The very meter (same name and tags) the server observation records the
		// controller's 200s in
		this.served = Timer.builder(REQUESTS_METRIC)
			.tags("error", "none", "exception", "none", "method", "GET", "outcome", "SUCCESS", "status", "200", "uri",
					PATH_PATTERN)
			.register(meterRegistry);
		this.ticker = meterRegistry.config().clock();
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (request instanceof HttpServletRequest httpRequest && response instanceof HttpServletResponse httpResponse) {
			long started = this.ticker.monotonicTime();
			TomcatExchange tomcat = TomcatExchange.of(request, response);
			TokenBroker.Served served = (tomcat != null) ? servable(httpRequest, tomcat) : servable(httpRequest);
			if (served != null) {
				if (tomcat != null && tomcat.acceptsEncodedHeaders()) {
					write(httpResponse, tomcat, served, httpRequest.isSecure());
				}
				else {
					write(httpResponse, served, httpRequest.isSecure());
				}
				this.served.record(this.ticker.monotonicTime() - started, TimeUnit.NANOSECONDS);
				return;
			}
		}
		chain.doFilter(request, response);
	}

	/**
	 * @return the token to serve here, counted, or {@code null} for the full chain
	 */
	private TokenBroker.Served servable(HttpServletRequest request) {
		if (!"GET".equals(request.getMethod()) || request.getQueryString() != null) {
			return null;
		}
		String uri = request.getRequestURI();
		if (uri == null) {
			return null;
		}
		// Configured names are valid service names ([A-Za-z0-9][A-Za-z0-9._-]*), so a
		// match is the canonical path
		ServiceDescriptor service = this.services.get(uri);
		if (service == null || !answersJson(request) || isConditional(request)) {
			return null;
		}
		Caller caller = this.verified.verifiedCaller(single(request, HttpHeaders.AUTHORIZATION));
		if (caller == null || !this.accessPolicy.isAllowed(caller, service.name())) {
			return null;
		}
		return this.broker.cached(service.name());
	}

	/**
	 * {@link #servable(HttpServletRequest)} on the bytes Tomcat received: the same
	 * decisions, without decoding the URI and headers into strings.
	 * @return the token to serve here, counted, or {@code null} for the full chain
	 */
	private TokenBroker.Served servable(HttpServletRequest request, TomcatExchange tomcat) {
		if (!"GET".equals(request.getMethod()) || request.getQueryString() != null) {
			return null;
		}
		ByteChunk uri = tomcat.requestUri();
		if (uri == null) {
			return servable(request);
		}
		ServiceDescriptor service = this.servicePaths.get(uri.getBuffer(), uri.getStart(), uri.getEnd());
		MimeHeaders headers = tomcat.requestHeaders();
		if (service == null || !answersJson(headers) || isConditional(headers)) {
			return null;
		}
		MessageBytes authorization = TomcatExchange.single(headers, HttpHeaders.AUTHORIZATION);
		Caller caller;
		if (authorization == null) {
			caller = null;
		}
		else if (authorization.getType() == MessageBytes.T_BYTES) {
			ByteChunk bytes = authorization.getByteChunk();
			caller = this.verified.verifiedCaller(bytes.getBuffer(), bytes.getStart(), bytes.getLength());
		}
		else {
			caller = this.verified.verifiedCaller(authorization.toString());
		}
		if (caller == null || !this.accessPolicy.isAllowed(caller, service.name())) {
			return null;
		}
		return this.broker.cached(service.name());
	}

	private static boolean answersJson(MimeHeaders headers) {
		int count = TomcatExchange.count(headers, HttpHeaders.ACCEPT);
		if (count == 0) {
			return true;
		}
		MessageBytes value = TomcatExchange.single(headers, HttpHeaders.ACCEPT);
		return value != null && (value.equals(JSON) || value.equals(ANY));
	}

	private static boolean isConditional(MimeHeaders headers) {
		for (String header : CONDITIONAL_HEADERS) {
			if (headers.getValue(header) != null) {
				return true;
			}
		}
		return false;
	}

	/**
	 * @return whether the full chain's content negotiation would choose JSON: no Accept,
	 * or one of JSON or any type
	 */
	private static boolean answersJson(HttpServletRequest request) {
		Enumeration<String> values = request.getHeaders(HttpHeaders.ACCEPT);
		if (values == null || !values.hasMoreElements()) {
			return true;
		}
		String value = values.nextElement();
		return !values.hasMoreElements() && (JSON.equals(value) || ANY.equals(value));
	}

	/**
	 * @return the value of a header present exactly once, else {@code null}
	 */
	static String single(HttpServletRequest request, String name) {
		Enumeration<String> values = request.getHeaders(name);
		if (values == null || !values.hasMoreElements()) {
			return null;
		}
		String value = values.nextElement();
		return values.hasMoreElements() ? null : value;
	}

	private static boolean isConditional(HttpServletRequest request) {
		for (String header : CONDITIONAL_HEADERS) {
			if (request.getHeader(header) != null) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The controller's answer ({@link TokenController#token}: status, its headers, then
	 * Content-Type and Content-Length from the message converter) with the headers Spring
	 * Security's header writers add when the response commits, in that order.
	 */
	private void write(HttpServletResponse response, TokenBroker.Served served, boolean secure) throws IOException {
		TokenResponseBodies.Rendered rendered = this.bodies.of(served);
		byte[] body = rendered.body(served.stale());
		response.setStatus(HttpServletResponse.SC_OK);
		TokenController.tokenHeaders(response::setHeader, served.stale(), rendered.expiresAt(), rendered.refreshBy());
		response.setContentType(JSON);
		response.setContentLength(body.length);
		response.setHeader("X-Content-Type-Options", "nosniff");
		response.setHeader("X-XSS-Protection", "0");
		if (secure) {
			// Spring Security's HstsHeaderWriter, for requests on a TLS connector
			// (server.ssl.bundle)
			response.setHeader("Strict-Transport-Security", HSTS);
		}
		response.setHeader("X-Frame-Options", "DENY");
		ServletOutputStream out = response.getOutputStream();
		out.write(body);
		out.flush();
	}

	/**
	 * {@link #write(HttpServletResponse, TokenBroker.Served, boolean)} with the headers
	 * given to Tomcat as bytes: the same headers in the same order, Content-Type,
	 * Content-Length and Date included (which Tomcat would otherwise add at the commit,
	 * in this order, from the servlet content type and length).
	 */
	private void write(HttpServletResponse response, TomcatExchange tomcat, TokenBroker.Served served, boolean secure)
			throws IOException {
		TokenResponseBodies.Rendered rendered = this.bodies.of(served);
		byte[] body = rendered.body(served.stale());
		response.setStatus(HttpServletResponse.SC_OK);
		// The length Tomcat delimits the body with; its header is given below
		response.setContentLength(body.length);
		TomcatExchange.EncodedHeaders headers = tomcat.responseHeaders(ENCODED_VALUES_CAPACITY);
		TokenController.tokenHeaders(headers, served.stale(), rendered.expiresAt(), rendered.refreshBy());
		headers.accept("X-Content-Type-Options", "nosniff");
		headers.accept("X-XSS-Protection", "0");
		if (secure) {
			headers.accept("Strict-Transport-Security", HSTS);
		}
		headers.accept("X-Frame-Options", "DENY");
		headers.accept("Content-Type", JSON);
		headers.contentLength(body.length);
		headers.date();
		ServletOutputStream out = response.getOutputStream();
		out.write(body);
		out.flush();
	}

	/**
	 * The configured services by the bytes of their path ({@code /tokens/} and the name,
	 * ASCII), found without decoding the request URI: open addressing over a table at
	 * least twice the number of services.
	 */
	static final class ServicePaths {

		private final byte[][] paths;

		private final ServiceDescriptor[] services;

		private final int mask;

		ServicePaths(Map<String, ServiceDescriptor> byPath) {
			int size = Integer.highestOneBit(Math.max(byPath.size(), 1) * 2) << 1;
			this.paths = new byte[size][];
			this.services = new ServiceDescriptor[size];
			this.mask = size - 1;
			byPath.forEach((path, service) -> {
				byte[] bytes = path.getBytes(StandardCharsets.ISO_8859_1);
				int slot = hash(bytes, 0, bytes.length) & this.mask;
				while (this.paths[slot] != null) {
					slot = (slot + 1) & this.mask;
				}
				this.paths[slot] = bytes;
				this.services[slot] = service;
			});
		}

		/**
		 * @return the service whose path is exactly these bytes, or {@code null}
		 */
		ServiceDescriptor get(byte[] bytes, int start, int end) {
			int slot = hash(bytes, start, end) & this.mask;
			byte[] path;
			while ((path = this.paths[slot]) != null) {
				if (Arrays.equals(path, 0, path.length, bytes, start, end)) {
					return this.services[slot];
				}
				slot = (slot + 1) & this.mask;
			}
			return null;
		}

		private static int hash(byte[] bytes, int start, int end) {
			int hash = 0;
			for (int i = start; i < end; i++) {
				hash = 31 * hash + bytes[i];
			}
			return hash ^ (hash >>> 16);
		}

	}

}
