package com.acme.tokenbroker.token;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import com.acme.tokenbroker.security.VerifiedTokenCache;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.header.HeaderWriter;
import org.springframework.security.web.header.writers.CacheControlHeadersWriter;
import org.springframework.security.web.header.writers.HstsHeaderWriter;
import org.springframework.security.web.header.writers.XContentTypeOptionsHeaderWriter;
import org.springframework.security.web.header.writers.XXssProtectionHeaderWriter;
import org.springframework.security.web.header.writers.frameoptions.XFrameOptionsHeaderWriter;

/**
 * The fast path of the injecting proxy ({@code /services/{service}/**}): a request whose
 * caller the full chain (Spring Security's filters, then Spring MVC and
 * {@link ScoringProxyController}) would let through is forwarded here, before both, with
 * the same access checks, the same forwarding ({@link ScoringProxy}), the same access
 * line and the same answer; every other request goes down the full chain untouched.
 * <p>
 * Forwarded here only when all of these hold, else {@code chain.doFilter} as if this
 * filter were absent:
 * <ul>
 * <li>a method the controller maps ({@code GET POST PUT PATCH DELETE});</li>
 * <li>the request URI {@code /services/} followed by the name of a configured service,
 * then nothing or {@code /} (no encoded character in the name, no context path);</li>
 * <li>one {@code Authorization} header whose bearer token the {@link VerifiedTokenCache}
 * holds as verified and unexpired (a token never seen is verified by the full chain,
 * which caches it);</li>
 * <li>the caller granted the service by the {@link AccessPolicy}, as the controller asks
 * it.</li>
 * </ul>
 * The full chain's Spring Security adds its default headers to every answer when it
 * commits; here the same writers add them before the answer's status and headers are
 * sent. A problem raised before anything is sent (400, 413, 502, 504, the broker's 503)
 * is handed to the full chain, whose controller raises it again, so that it is rendered
 * as every other problem is, byte for byte; its access line is logged here, once.
 * <p>
 * It spares a proxied request what the token fast path spares a token request (see
 * bench/README.md): the caller token's decoding and verification, the security context,
 * the server observation and MVC's dispatch. A request forwarded here is recorded in the
 * server observation's {@code http.server.requests} timer with its tags ({@code uri} is
 * the controller's mapping).
 */
final class ScoringProxyFilter implements Filter {

	/** The problem the fast path met, for the controller to raise. */
	static final String PENDING_PROBLEM = ScoringProxyFilter.class.getName() + ".problem";

	static final String PREFIX = ScoringProxyController.PREFIX;

	private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");

	/** Spring Security's default header writers, in the order it runs them. */
	private static final List<HeaderWriter> SECURITY_HEADERS = List.of(new XContentTypeOptionsHeaderWriter(),
			new XXssProtectionHeaderWriter(), new CacheControlHeadersWriter(), new HstsHeaderWriter(),
			new XFrameOptionsHeaderWriter(XFrameOptionsHeaderWriter.XFrameOptionsMode.DENY));

	private final Map<String, ServiceDescriptor> services;

	private final VerifiedTokenCache verified;

	private final AccessPolicy accessPolicy;

	private final ScoringProxyController controller;

	private final HttpFirewall firewall;

	private final MeterRegistry meters;

	private final Clock ticker;

	ScoringProxyFilter(ServiceCatalog catalog, VerifiedTokenCache verified, AccessPolicy accessPolicy,
			ScoringProxyController controller, HttpFirewall firewall, MeterRegistry meters) {
		Map<String, ServiceDescriptor> byName = new HashMap<>();
		for (ServiceDescriptor service : catalog.services()) {
			byName.put(service.name().value(), service);
		}
		this.services = Map.copyOf(byName);
		this.verified = verified;
		this.accessPolicy = accessPolicy;
		this.controller = controller;
		this.firewall = firewall;
		this.meters = meters;
		this.ticker = meters.config().clock();
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (request instanceof HttpServletRequest httpRequest && response instanceof HttpServletResponse httpResponse
				&& request.getAttribute(PENDING_PROBLEM) == null) {
			long start = this.ticker.monotonicTime();
			String uri = httpRequest.getRequestURI();
			ServiceDescriptor service = (uri != null && httpRequest.getContextPath().isEmpty()
					&& METHODS.contains(httpRequest.getMethod())) ? service(uri) : null;
			Caller caller = (service != null)
					? this.verified.verifiedCaller(CachedTokenFilter.single(httpRequest, HttpHeaders.AUTHORIZATION))
					: null;
			if (caller != null && this.accessPolicy.isAllowed(caller, service.name())) {
				HttpServletRequest firewalled;
				try {
					// the full chain's firewall, which also checks each header when read
					firewalled = this.firewall.getFirewalledRequest(httpRequest);
				}
				catch (RequestRejectedException ex) {
					chain.doFilter(request, response);
					return;
				}
				String remainder = uri.substring(PREFIX.length() + service.name().value().length());
				try {
					this.controller.forwardAuthorized(service, Caller.printable(caller.subject()), remainder,
							firewalled, (answer) -> securityHeaders(httpRequest, answer), httpResponse, start);
				}
				catch (RuntimeException ex) {
					if (httpResponse.isCommitted()) {
						throw ex;
					}
					httpRequest.setAttribute(PENDING_PROBLEM, ex);
					chain.doFilter(request, response);
					return;
				}
				Timer.builder(ScoringProxyController.REQUESTS_METRIC)
					.tags("error", "none", "exception", "none", "method", httpRequest.getMethod(), "outcome",
							outcome(httpResponse.getStatus()), "status", Integer.toString(httpResponse.getStatus()),
							"uri",
							remainder.isEmpty() ? ScoringProxyController.PATH_PATTERN
									: ScoringProxyController.PATH_PATTERN + "/**")
					.register(this.meters)
					.record(this.ticker.monotonicTime() - start, TimeUnit.NANOSECONDS);
				return;
			}
		}
		chain.doFilter(request, response);
	}

	/**
	 * @return the configured service the URI names, followed by nothing or {@code /}, or
	 * {@code null}
	 */
	private ServiceDescriptor service(String uri) {
		if (!uri.startsWith(PREFIX)) {
			return null;
		}
		int end = uri.indexOf('/', PREFIX.length());
		return this.services.get((end < 0) ? uri.substring(PREFIX.length()) : uri.substring(PREFIX.length(), end));
	}

	private static void securityHeaders(HttpServletRequest request, HttpServletResponse response) {
		for (HeaderWriter writer : SECURITY_HEADERS) {
			writer.writeHeaders(request, response);
		}
	}

	private static String outcome(int status) {
		return switch (status / 100) {
			case 1 -> "INFORMATIONAL";
			case 2 -> "SUCCESS";
			case 3 -> "REDIRECTION";
			case 4 -> "CLIENT_ERROR";
			case 5 -> "SERVER_ERROR";
			default -> "UNKNOWN";
		};
	}

}
