package com.acme.tokenbroker.token;

import java.io.IOException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import com.acme.tokenbroker.catalog.InvalidServiceNameException;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import io.micrometer.core.instrument.Clock;
import io.swagger.v3.oas.annotations.Hidden;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /services/{service}/**}: the injecting proxy (docs/proxy.md). The caller is
 * authorized exactly as for {@code GET /tokens/{service}} (403 whether or not the service
 * exists, then 404), and {@link ScoringProxy} forwards the request to the service's
 * scoring URI with the served credential. One access log line per request names the
 * caller, the service, the method, the path without its query, the status and the time
 * taken; never a credential.
 */
@RestController
class ScoringProxyController {

	static final String PREFIX = "/services/";

	/** The metric Spring's server observation records for every request. */
	static final String REQUESTS_METRIC = "http.server.requests";

	/** The {@code uri} tag of the mapping of a request to the service's base path. */
	static final String PATH_PATTERN = "/services/{service}";

	/** What the access log shows of a name as sent: it may not be a valid one. */
	private static final Pattern LOGGABLE = Pattern.compile("[^A-Za-z0-9._@:-]");

	private static final Logger accessLog = LoggerFactory.getLogger("com.acme.tokenbroker.proxy.access");

	private final ServiceCatalog catalog;

	private final AccessPolicy accessPolicy;

	private final ScoringProxy proxy;

	private final ProxyProperties properties;

	private final Clock ticker;

	ScoringProxyController(ServiceCatalog catalog, AccessPolicy accessPolicy, ScoringProxy proxy,
			ProxyProperties properties, MeterRegistry meterRegistry) {
		this.catalog = catalog;
		this.accessPolicy = accessPolicy;
		this.proxy = proxy;
		this.properties = properties;
		this.ticker = meterRegistry.config().clock();
	}

	// The one operation the document shows (docs/openapi.yaml); the others are forwarded
	// alike
	@PostMapping("/services/{service}")
	void score(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt, HttpServletRequest request,
			HttpServletResponse response) throws IOException {
		forward(service, jwt, request, response);
	}

	@Hidden
	@RequestMapping(path = "/services/{service}",
			method = { RequestMethod.GET, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE })
	void otherMethods(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt,
			HttpServletRequest request, HttpServletResponse response) throws IOException {
		forward(service, jwt, request, response);
	}

	@Hidden
	@RequestMapping(path = "/services/{service}/**", method = { RequestMethod.GET, RequestMethod.POST,
			RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE })
	void below(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt, HttpServletRequest request,
			HttpServletResponse response) throws IOException {
		forward(service, jwt, request, response);
	}

	private void forward(String service, Jwt jwt, HttpServletRequest request, HttpServletResponse response)
			throws IOException {
		long start = this.ticker.monotonicTime();
		String caller = subject(jwt);
		String remainder = "";
		ServiceDescriptor descriptor;
		RuntimeException pending = (RuntimeException) request.getAttribute(ScoringProxyFilter.PENDING_PROBLEM);
		if (pending != null) {
			// the fast path's failure, logged there, answered here as every other problem
			request.removeAttribute(ScoringProxyFilter.PENDING_PROBLEM);
			throw pending;
		}
		try {
			if (!this.properties.enabled()) {
				throw new ErrorResponseException(HttpStatus.NOT_FOUND, Problems.of(HttpStatus.NOT_FOUND,
						Problems.NOT_FOUND, "Not found", "Nothing is served at this path"), null);
			}
			descriptor = TokenController.authorize(this.catalog, this.accessPolicy, service, jwt);
			remainder = remainder(request, service);
		}
		catch (RuntimeException ex) {
			accessLog(caller, service, request, remainder, status(ex), "false", false, start);
			throw ex;
		}
		// Spring Security's header writer adds its headers when the answer commits
		forwardAuthorized(descriptor, caller, remainder, request, (answer) -> {
		}, response, start);
	}

	/**
	 * Forward a request whose caller is authorized for the service, and log its access
	 * line; shared by the full chain (this controller) and the fast path
	 * ({@link ScoringProxyFilter}).
	 * @param service the service
	 * @param caller the caller's subject, printable
	 * @param remainder the raw path after {@code /services/{service}}
	 * @param request the caller's request
	 * @param beforeCommit adds the broker's own headers to the answer, before its status
	 * and headers are sent
	 * @param response where the answer goes
	 * @param start when the request started, on the meter registry's monotonic clock
	 * @throws IOException when the answer could not be written to the caller
	 */
	void forwardAuthorized(ServiceDescriptor service, String caller, String remainder, HttpServletRequest request,
			Consumer<HttpServletResponse> beforeCommit, HttpServletResponse response, long start) throws IOException {
		int status = 500;
		String refreshed = "false";
		boolean aborted = false;
		try {
			ScoringProxy.Outcome outcome = this.proxy.forward(service, remainder, request, beforeCommit, response);
			status = outcome.status();
			refreshed = outcome.retried() ? "retried" : Boolean.toString(outcome.refreshed());
		}
		catch (ScoringProxy.AnswerAborted ex) {
			// logged by the proxy; the status and headers are sent, the answer is not
			// ended
			status = response.getStatus();
			aborted = true;
			if (!TomcatExchange.closeNow(response, ex)) {
				throw ex;
			}
		}
		catch (IOException ex) {
			// the caller's connection failed while the answer was written
			status = response.getStatus();
			aborted = true;
			throw ex;
		}
		catch (RuntimeException ex) {
			status = status(ex);
			throw ex;
		}
		finally {
			accessLog(caller, service.name().value(), request, remainder, status, refreshed, aborted, start);
		}
	}

	private static int status(RuntimeException ex) {
		return (ex instanceof ErrorResponse error) ? error.getStatusCode().value()
				: (ex instanceof InvalidServiceNameException || ex instanceof RequestRejectedException) ? 400 : 500;
	}

	private void accessLog(String caller, String service, HttpServletRequest request, String remainder, int status,
			String refreshed, boolean aborted, long start) {
		accessLog.info("proxy caller={} service={} method={} path={} status={} refreshed={} aborted={} durationMs={}",
				caller, LOGGABLE.matcher(service).replaceAll("?"), request.getMethod(),
				remainder.isEmpty() ? "/" : Caller.printable(remainder), status, refreshed, aborted,
				(this.ticker.monotonicTime() - start) / 1_000_000);
	}

	static String subject(Jwt jwt) {
		return (jwt != null) ? Caller.printable(Caller.from(jwt).subject()) : "-";
	}

	/** The raw path after {@code /services/{service}}, as the caller sent it. */
	static String remainder(HttpServletRequest request, String service) {
		String uri = request.getRequestURI().substring(request.getContextPath().length());
		String prefix = PREFIX + service;
		if (!uri.startsWith(prefix)) {
			// the service name sent encoded: it has no characters that need it
			throw new ErrorResponseException(HttpStatus.BAD_REQUEST, Problems.of(HttpStatus.BAD_REQUEST,
					Problems.INVALID_REQUEST, "Invalid proxy request", "The service name must not be encoded"), null);
		}
		return uri.substring(prefix.length());
	}

}
