package com.acme.tokenbroker.token;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.system.OutboundProxy;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.SystemDefaultRoutePlanner;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * Forwards one request to a service's scoring URI with the credential the broker serves
 * for it, and streams the answer back as is.
 * <p>
 * The target is the scoring URI the service's metadata names, plus the caller's path
 * remainder and query: never a host the caller chose, never a path outside the scoring
 * URI's, redirects returned as they are. The caller's {@code Authorization},
 * {@code Cookie} and hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; the answer's
 * hop-by-hop headers are not returned. A request body streams through in constant memory:
 * up to {@code broker.proxy.replay-buffer} it is held so that it can be sent once more
 * after the endpoint refused (401 or 403) the credential and the broker replaced it
 * ({@link TokenBroker#replaceRejected}: single flight, bounded by
 * {@code min-refresh-interval}); a larger body is not replayed, and the refusal is
 * answered with {@code Token-Refreshed: true} when a replacement was fetched, for the
 * caller to send again. The answer's status and headers are passed on before its body; a
 * body the endpoint then breaks off, or stalls past {@code broker.proxy.read-timeout},
 * aborts the answer ({@link AnswerAborted}).
 */
final class ScoringProxy implements AutoCloseable {

	/** On an answer sent after the broker replaced a credential the endpoint refused. */
	static final String REFRESHED_HEADER = "Token-Refreshed";

	static final String REQUESTS_METER = "broker.proxy.requests";

	static final String RETRIES_METER = "broker.proxy.retries";

	/**
	 * RFC 9110 §7.6.1, and what the client sets itself (the host and the body's framing)
	 * or must not pass on ({@code Expect}: the broker, not the endpoint, accepts the
	 * caller's body).
	 */
	private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
			"proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
			"content-length", "expect");

	/**
	 * Never forwarded: the caller's credential for the broker, and cookies for the
	 * broker's origin, are not the service's.
	 */
	private static final Set<String> CALLER_ONLY = Set.of("authorization", "cookie");

	/** Sent with {@code Content-Length: 0} when the caller sent no body. */
	private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");

	private static final Duration[] SLOS = { Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
			Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
			Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30) };

	/**
	 * The most connections to scoring endpoints held open; the server's request threads
	 * bound the exchanges under way below it.
	 */
	static final int MAX_CONNECTIONS = 1024;

	/** A pooled connection idle this long is checked before it carries a request. */
	private static final TimeValue VALIDATE_AFTER_INACTIVITY = TimeValue.ofSeconds(1);

	/** The largest part of a body read or written at once, each way. */
	private static final int COPY_BUFFER = 64 * 1024;

	/** Set on an exchange's context once the connection to the endpoint is open. */
	private static final String REACHED = ScoringProxy.class.getName() + ".reached";

	/** Pooled connections idle this long are closed. */
	private static final TimeValue MAX_IDLE = TimeValue.ofSeconds(30);

	private static final Logger logger = LoggerFactory.getLogger(ScoringProxy.class);

	private final TokenBroker broker;

	private final CloseableHttpClient client;

	private final OutboundProxy outbound;

	private final ProxyProperties properties;

	private final MeterRegistry meters;

	private final Clock ticker;

	/**
	 * Ends an exchange past its deadline (until the answer's head) or its read timeout
	 * (then, between parts of the body): one task per exchange, armed again only when it
	 * fires early. One daemon thread; a cancelled task is removed at once, as nearly
	 * every one is.
	 */
	private final ScheduledThreadPoolExecutor watchdog;

	ScoringProxy(TokenBroker broker, SSLContext tls, OutboundProxy outbound, ProxyProperties properties,
			MeterRegistry meters) {
		this.broker = broker;
		this.client = client(tls, outbound, properties);
		this.outbound = outbound;
		this.properties = properties;
		this.meters = meters;
		this.ticker = meters.config().clock();
		this.watchdog = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "proxy-timeouts");
			thread.setDaemon(true);
			return thread;
		});
		this.watchdog.setRemoveOnCancelPolicy(true);
	}

	/**
	 * The proxy's HTTP client: Apache HttpClient's classic (blocking) client, so that an
	 * exchange runs on the caller's request thread from the request's first byte to the
	 * answer's last, without a hand-over between threads; pooled keep-alive connections,
	 * HTTP/1.1, the broker's outbound trust and proxy, and nothing done on the caller's
	 * behalf: no redirect followed, no retry, no cookie kept, no content decoded.
	 * @param tls the trust store of every outbound call, or {@code null} for the JVM's
	 * @param outboundProxy the outbound proxy ({@link OutboundProxy#DIRECT} for none)
	 * @param properties the proxy's timeouts
	 * @return a new client
	 */
	private static CloseableHttpClient client(SSLContext tls, OutboundProxy outboundProxy, ProxyProperties properties) {
		ConnectionConfig connections = ConnectionConfig.custom()
			.setConnectTimeout(Timeout.of(properties.connectTimeout()))
			// until the answer's head; the request deadline, checked by the watchdog, is
			// the bound that counts
			.setSocketTimeout(Timeout.of(properties.requestDeadline()))
			.setValidateAfterInactivity(VALIDATE_AFTER_INACTIVITY)
			.build();
		PoolingHttpClientConnectionManagerBuilder manager = PoolingHttpClientConnectionManagerBuilder.create()
			.setDefaultConnectionConfig(connections)
			.setMaxConnTotal(MAX_CONNECTIONS)
			.setMaxConnPerRoute(MAX_CONNECTIONS);
		if (tls != null) {
			manager.setTlsSocketStrategy(new DefaultClientTlsStrategy(tls));
		}
		HttpClientBuilder builder = HttpClientBuilder.create()
			// runs only once a connection to the endpoint is open (through the proxy's
			// tunnel, if any): an answer without this mark is the outbound proxy's
			// refusal
			.addExecInterceptorAfter(ChainElement.CONNECT.name(), "scoring-endpoint-reached",
					(request, scope, chain) -> {
						scope.clientContext.setAttribute(REACHED, Boolean.TRUE);
						return chain.proceed(request, scope);
					})
			.setConnectionManager(manager.build())
			.setDefaultRequestConfig(RequestConfig.custom()
				.setConnectionRequestTimeout(Timeout.of(properties.connectTimeout()))
				.setResponseTimeout(Timeout.of(properties.requestDeadline()))
				.setRedirectsEnabled(false)
				.setExpectContinueEnabled(false)
				.build())
			.disableRedirectHandling()
			.disableAutomaticRetries()
			.disableCookieManagement()
			.disableContentCompression()
			.evictIdleConnections(MAX_IDLE);
		if (!outboundProxy.isDirect()) {
			builder.setRoutePlanner(new SystemDefaultRoutePlanner(outboundProxy.selector()));
			OutboundProxy.Credentials credentials = outboundProxy.credentials();
			if (credentials != null) {
				BasicCredentialsProvider provider = new BasicCredentialsProvider();
				provider.setCredentials(new AuthScope(credentials.host(), credentials.port()),
						new UsernamePasswordCredentials(credentials.username(), credentials.password()));
				builder.setDefaultCredentialsProvider(provider);
			}
		}
		return builder.build();
	}

	@Override
	public void close() {
		this.watchdog.shutdownNow();
		try {
			this.client.close();
		}
		catch (IOException ex) {
			// closing pooled connections: nothing is waiting for them
		}
	}

	/**
	 * Forward the request and write the answer.
	 * @param service the service (the caller is authorized before)
	 * @param remainder the raw path after {@code /services/{service}}, empty or starting
	 * with {@code /}
	 * @param request the caller's request
	 * @param beforeCommit adds the broker's own headers to the answer, after the
	 * endpoint's and before they are sent
	 * @param response where the answer goes
	 * @return what happened, for the access log
	 * @throws ErrorResponseException a problem (400, 413, 502, 504, or the broker's own
	 * 503) when nothing was written yet
	 * @throws AnswerAborted when the scoring endpoint failed while the answer's body was
	 * streamed (logged here, once)
	 * @throws IOException when the answer could not be written to the caller
	 */
	Outcome forward(ServiceDescriptor service, String remainder, HttpServletRequest request,
			Consumer<HttpServletResponse> beforeCommit, HttpServletResponse response) throws IOException {
		ServiceName name = service.name();
		TokenBroker.Served served = this.broker.tokenFor(service, Duration.ZERO);
		URI target = target(scoringUri(served.token()), remainder, request.getQueryString());
		if (!"https".equalsIgnoreCase(target.getScheme()) && this.outbound.isProxied(target)) {
			// a proxy reads a plain http request whole, the credential included, and
			// may answer it itself: a 401 of its own would pass for a refused credential
			throw unreachable(name, "its scoring URI is plain http and would send the credential through the "
					+ "outbound proxy in clear; reach it directly (broker.upstream.proxy.non-proxy-hosts) or over https");
		}
		Body body = body(request);
		Timer.Sample sample = Timer.start(this.meters);
		String statusClass = "error";
		Exchange exchange = null;
		try {
			exchange = send(name, target, request, body, served.token());
			ClassicHttpResponse answer = exchange.answer;
			// the endpoint answered, even if the broker then answers its own 503
			statusClass = (answer.getCode() / 100) + "xx";
			boolean refreshed = false;
			boolean retried = false;
			if (answer.getCode() == 401 || answer.getCode() == 403) {
				TokenBroker.Served replacement = replacement(service, served.token(), body.isReplayable(), exchange);
				if (replacement != null) {
					refreshed = true;
					if (body.isReplayable()) {
						exchange.close();
						Counter.builder(RETRIES_METER)
							.description("Requests the proxy sent again after the broker replaced a refused credential")
							.tag("service", name.value())
							.register(this.meters)
							.increment();
						retried = true;
						exchange = send(name, target, request, body, replacement.token());
						answer = exchange.answer;
					}
				}
			}
			statusClass = (answer.getCode() / 100) + "xx";
			try {
				write(name, exchange, refreshed, beforeCommit, response);
			}
			catch (AnswerAborted ex) {
				statusClass = "error";
				logger.warn("{}; the caller's connection is closed", ex.getMessage());
				throw ex;
			}
			return new Outcome(answer.getCode(), refreshed, retried);
		}
		finally {
			if (exchange != null) {
				exchange.close();
			}
			sample.stop(Timer.builder(REQUESTS_METER)
				.description("Requests forwarded to a service's scoring endpoint, until the answer's last byte")
				.tag("service", name.value())
				.tag("status", statusClass)
				.serviceLevelObjectives(SLOS)
				.register(this.meters));
		}
	}

	/**
	 * What a forwarded request came to.
	 *
	 * @param status the status answered
	 * @param refreshed whether the broker replaced a refused credential
	 * @param retried whether the request was sent again with the replacement
	 */
	record Outcome(int status, boolean refreshed, boolean retried) {
	}

	/**
	 * The replacement of a refused credential, or {@code null} when none is to be had:
	 * then the refusal is answered as is, unless the request could be sent again, which
	 * makes it the broker's own 503.
	 */
	private TokenBroker.Served replacement(ServiceDescriptor service, BrokeredToken refused, boolean replayable,
			Exchange exchange) {
		try {
			return this.broker.replaceRejected(service, CredentialFingerprint.of(refused.value()));
		}
		catch (TokenUnavailableException ex) {
			if (replayable) {
				exchange.close();
				throw ex;
			}
			return null;
		}
	}

	private Exchange send(ServiceName name, URI target, HttpServletRequest request, Body body,
			BrokeredToken credential) {
		HttpUriRequestBase outbound = new HttpUriRequestBase(request.getMethod(), target);
		copyRequestHeaders(request, outbound);
		outbound.setHeader("Authorization", credential.tokenType() + " " + credential.value());
		outbound.setEntity(body.entity(request.getMethod()));
		Exchange exchange = new Exchange(outbound,
				this.ticker.monotonicTime() + this.properties.requestDeadline().toNanos());
		exchange.arm();
		HttpClientContext context = HttpClientContext.create();
		try {
			exchange.answer = this.client.executeOpen(null, outbound, context);
			if (context.getAttribute(REACHED) == null) {
				// Apache HttpClient returns the proxy's answer to a refused CONNECT
				int status = exchange.answer.getCode();
				exchange.close();
				throw unreachable(name, "the outbound proxy refused the tunnel with " + status
						+ ((status == 407) ? ", check broker.upstream.proxy credentials" : ""));
			}
			exchange.readingBody();
			return exchange;
		}
		catch (ConnectTimeoutException ex) {
			exchange.close();
			throw unreachable(name, "connecting timed out");
		}
		catch (IOException ex) {
			exchange.close();
			if (exchange.timedOut || ex instanceof SocketTimeoutException) {
				throw new ErrorResponseException(HttpStatus.GATEWAY_TIMEOUT, Problems.of(HttpStatus.GATEWAY_TIMEOUT,
						Problems.SCORING_TIMEOUT, "Scoring endpoint timed out",
						"The scoring endpoint of service '" + name + "' did not answer within "
								+ this.properties.requestDeadline().toSeconds() + " s (broker.proxy.request-deadline)"),
						null);
			}
			if (body.exceeded()) {
				throw tooLarge();
			}
			if (body.unreadable()) {
				throw invalid("The request body could not be read");
			}
			throw unreachable(name, ex.getClass().getSimpleName());
		}
		catch (RuntimeException ex) {
			exchange.close();
			throw ex;
		}
	}

	private static void copyRequestHeaders(HttpServletRequest request, HttpUriRequestBase outbound) {
		Set<String> dropped = dropped(request.getHeaders("Connection"));
		for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
			String header = names.nextElement();
			String lower = header.toLowerCase(Locale.ROOT);
			if (HOP_BY_HOP.contains(lower) || CALLER_ONLY.contains(lower) || dropped.contains(lower)) {
				continue;
			}
			for (Enumeration<String> values = request.getHeaders(header); values.hasMoreElements();) {
				outbound.addHeader(header, values.nextElement());
			}
		}
	}

	private void write(ServiceName name, Exchange exchange, boolean refreshed,
			Consumer<HttpServletResponse> beforeCommit, HttpServletResponse response) throws IOException {
		ClassicHttpResponse answer = exchange.answer;
		response.setStatus(answer.getCode());
		Header[] headers = answer.getHeaders();
		Set<String> dropped = null;
		for (Header header : headers) {
			if (header.getName().equalsIgnoreCase("connection")) {
				dropped = (dropped != null) ? dropped : new TreeSet<>();
				dropped.addAll(dropped(Collections.enumeration(List.of(header.getValue()))));
			}
		}
		for (Header header : headers) {
			String lower = header.getName().toLowerCase(Locale.ROOT);
			boolean length = lower.equals("content-length");
			if ((HOP_BY_HOP.contains(lower) && !length) || (dropped != null && dropped.contains(lower))) {
				continue;
			}
			response.addHeader(header.getName(), header.getValue());
		}
		if (refreshed) {
			response.setHeader(REFRESHED_HEADER, "true");
		}
		beforeCommit.accept(response);
		// the status and headers go to the caller as they came, before any body: from
		// here on a failure can only abort the answer, whatever its size (AnswerAborted)
		response.flushBuffer();
		HttpEntity entity = answer.getEntity();
		if (entity == null) {
			return;
		}
		InputStream in = entity.getContent();
		OutputStream out = response.getOutputStream();
		long length = entity.getContentLength();
		byte[] buffer = new byte[(int) ((length >= 0) ? Math.max(Math.min(length, COPY_BUFFER), 1) : COPY_BUFFER)];
		for (int read = read(name, exchange, in, buffer); read >= 0; read = read(name, exchange, in, buffer)) {
			// a failure here is the caller's connection, not the endpoint's
			out.write(buffer, 0, read);
			// a caller slow to take the answer is not the endpoint stalling
			exchange.progress();
		}
		out.flush();
	}

	/**
	 * The next part of the answer's body; past the read timeout, the watchdog ends the
	 * exchange, which ends the waiting read with an {@link IOException}.
	 */
	private int read(ServiceName name, Exchange exchange, InputStream in, byte[] buffer) throws AnswerAborted {
		try {
			int read = in.read(buffer);
			exchange.progress();
			if (read < 0) {
				exchange.readToEnd();
			}
			return read;
		}
		catch (IOException ex) {
			throw new AnswerAborted(
					"The scoring endpoint of service '" + name + "' failed while its answer was streamed ("
							+ (exchange.timedOut ? "nothing for " + this.properties.readTimeout().toMillis()
									+ " ms, broker.proxy.read-timeout" : ex.getClass().getSimpleName())
							+ ")");
		}
	}

	/**
	 * One request to the scoring endpoint and its answer, with the one watchdog task that
	 * ends it: at the request deadline while the head is awaited, then when no part of
	 * the body came for the read timeout. Closing it releases the connection to the pool
	 * if the answer was read to its end, else closes the connection.
	 */
	private final class Exchange implements AutoCloseable {

		private final HttpUriRequestBase request;

		private final long deadline;

		private volatile ClassicHttpResponse answer;

		private volatile boolean body;

		private volatile long lastProgress;

		private volatile boolean timedOut;

		private volatile boolean closed;

		private volatile boolean readToEnd;

		private volatile ScheduledFuture<?> timer;

		Exchange(HttpUriRequestBase request, long deadline) {
			this.request = request;
			this.deadline = deadline;
		}

		void arm() {
			schedule(this.deadline - ScoringProxy.this.ticker.monotonicTime());
		}

		void readingBody() {
			this.lastProgress = ScoringProxy.this.ticker.monotonicTime();
			this.body = true;
		}

		void progress() {
			this.lastProgress = ScoringProxy.this.ticker.monotonicTime();
		}

		void readToEnd() {
			this.readToEnd = true;
		}

		private void schedule(long delayNanos) {
			try {
				this.timer = ScoringProxy.this.watchdog.schedule(this::check, Math.max(delayNanos, 0),
						TimeUnit.NANOSECONDS);
			}
			catch (RejectedExecutionException ex) {
				// the proxy is closing: the exchange ends with the server
			}
		}

		private void check() {
			if (this.closed) {
				return;
			}
			long now = ScoringProxy.this.ticker.monotonicTime();
			long due = this.body ? this.lastProgress + ScoringProxy.this.properties.readTimeout().toNanos()
					: this.deadline;
			if (now - due >= 0) {
				this.timedOut = true;
				abort();
			}
			else {
				schedule(due - now);
			}
		}

		private void abort() {
			this.request.cancel();
			ClassicHttpResponse current = this.answer;
			if (current != null) {
				try {
					current.close();
				}
				catch (IOException ex) {
					// the waiting read fails either way
				}
			}
		}

		@Override
		public void close() {
			if (this.closed) {
				return;
			}
			this.closed = true;
			ScheduledFuture<?> current = this.timer;
			if (current != null) {
				current.cancel(false);
			}
			ClassicHttpResponse answer = this.answer;
			if (answer != null && !this.readToEnd) {
				// closing the answer alone would read the rest of its body (to keep the
				// connection): an answer left unread, for a caller gone or a refusal
				// replaced, closes the connection instead
				this.request.cancel();
			}
			if (answer != null) {
				try {
					answer.close();
				}
				catch (IOException ex) {
					// the connection is discarded either way
				}
			}
		}

	}

	/**
	 * The scoring endpoint failed after the answer's status and headers were passed on:
	 * no problem can be answered any more, so the caller's connection is to be closed
	 * without ending the answer (no last chunk, or fewer bytes than its
	 * {@code Content-Length}), for the caller to see it broken rather than complete. Its
	 * message names the service and the failure's kind, never a credential; it has no
	 * cause, as the endpoint's failure is no fault of the broker's to trace.
	 */
	static final class AnswerAborted extends IOException {

		AnswerAborted(String message) {
			super(message);
		}

	}

	/** The header names a {@code Connection} header lists, lower case. */
	private static Set<String> dropped(Enumeration<String> connection) {
		Set<String> names = new TreeSet<>();
		while (connection.hasMoreElements()) {
			for (String name : connection.nextElement().split(",")) {
				names.add(name.trim().toLowerCase(Locale.ROOT));
			}
		}
		return names;
	}

	private static URI scoringUri(BrokeredToken token) {
		String scoringUri = token.scoringUri();
		URI uri = null;
		if (scoringUri != null) {
			try {
				uri = new URI(scoringUri);
			}
			catch (URISyntaxException ex) {
				// reported below without quoting it
			}
		}
		if (uri == null || uri.getRawAuthority() == null
				|| !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
			throw unreachable(token.service(), "its metadata names no usable scoring URI");
		}
		return uri;
	}

	/**
	 * The scoring URI with the caller's path remainder and query: refused (400) unless
	 * the remainder stays under the scoring URI's path after normalization, with no dot
	 * segment, no backslash and no encoded slash, backslash or dot.
	 * @param base the service's scoring URI
	 * @param remainder the raw path after {@code /services/{service}}, empty or starting
	 * with {@code /}
	 * @param query the caller's raw query, or {@code null}
	 * @return the target
	 */
	static URI target(URI base, String remainder, String query) {
		if (!remainder.isEmpty() && !remainder.startsWith("/")) {
			throw invalid("The path must continue with '/' after the service name");
		}
		String lower = remainder.toLowerCase(Locale.ROOT);
		if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") || lower.contains("\\")
				|| lower.contains("?") || lower.contains("#")) {
			throw invalid("The path must not hold an encoded '/', '\\' or '.', nor a raw '\\'");
		}
		for (String segment : remainder.split("/", -1)) {
			if (segment.equals(".") || segment.equals("..")) {
				throw invalid("The path must not hold '.' or '..' segments");
			}
		}
		String basePath = (base.getRawPath() != null) ? base.getRawPath() : "";
		String path = basePath;
		if (!remainder.isEmpty()) {
			path = (basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath) + remainder;
		}
		String joinedQuery = base.getRawQuery();
		if (query != null && !query.isEmpty()) {
			joinedQuery = (joinedQuery != null) ? joinedQuery + "&" + query : query;
		}
		URI target;
		try {
			target = new URI(base.getScheme() + "://" + base.getRawAuthority() + path
					+ ((joinedQuery != null) ? "?" + joinedQuery : ""));
		}
		catch (URISyntaxException ex) {
			throw invalid("The path or query is not a valid URI part");
		}
		URI normalized = target.normalize();
		if (!normalized.equals(target) || !base.getScheme().equalsIgnoreCase(target.getScheme())
				|| !base.getRawAuthority().equals(target.getRawAuthority())
				|| !target.getRawPath().startsWith(basePath)) {
			throw invalid("The path must stay under the service's scoring URI");
		}
		return target;
	}

	/**
	 * The request body: held in memory when it fits the replay buffer, streamed
	 * otherwise, and refused beyond {@code max-body-size} before (when its length is
	 * declared) or while (when chunked) it is sent.
	 */
	private Body body(HttpServletRequest request) throws IOException {
		long maxBody = this.properties.maxBodySize().toBytes();
		long length = request.getContentLengthLong();
		boolean chunked = request.getHeader("Transfer-Encoding") != null;
		if (length > maxBody) {
			throw tooLarge();
		}
		if (length == 0 || (length < 0 && !chunked)) {
			return new Body(new byte[0], null, -1);
		}
		int replay = (int) this.properties.replayBuffer().toBytes();
		InputStream in = request.getInputStream();
		byte[] head;
		try {
			head = in.readNBytes(replay + 1);
		}
		catch (IOException ex) {
			throw invalid("The request body could not be read");
		}
		if (head.length <= replay) {
			if (head.length > maxBody) {
				throw tooLarge();
			}
			return new Body(head, null, -1);
		}
		LimitedInputStream rest = new LimitedInputStream(new SequenceInputStream(new ByteArrayInputStream(head), in),
				maxBody);
		return new Body(null, rest, length);
	}

	private static ErrorResponseException tooLarge() {
		return new ErrorResponseException(HttpStatus.PAYLOAD_TOO_LARGE, Problems.of(HttpStatus.PAYLOAD_TOO_LARGE,
				Problems.PAYLOAD_TOO_LARGE, "Payload too large", "The request body exceeds broker.proxy.max-body-size"),
				null);
	}

	private static ErrorResponseException unreachable(ServiceName name, String why) {
		return new ErrorResponseException(HttpStatus.BAD_GATEWAY,
				Problems.of(HttpStatus.BAD_GATEWAY, Problems.SCORING_UNREACHABLE, "Scoring endpoint unreachable",
						"The scoring endpoint of service '" + name + "' could not be reached (" + why + ")"),
				null);
	}

	private static ErrorResponseException invalid(String detail) {
		return new ErrorResponseException(HttpStatus.BAD_REQUEST,
				Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid proxy request", detail), null);
	}

	/**
	 * A request body, either held ({@code bytes}) or streamed once ({@code stream}).
	 */
	private static final class Body {

		private final byte[] bytes;

		private final LimitedInputStream stream;

		private final long length;

		Body(byte[] bytes, LimitedInputStream stream, long length) {
			this.bytes = bytes;
			this.stream = stream;
			this.length = length;
		}

		boolean isReplayable() {
			return this.bytes != null;
		}

		boolean exceeded() {
			return this.stream != null && this.stream.exceeded;
		}

		boolean unreadable() {
			return this.stream != null && this.stream.unreadable;
		}

		/**
		 * The body to send: none for a bodiless request of a method without one, an empty
		 * one ({@code Content-Length: 0}) for the others.
		 */
		HttpEntity entity(String method) {
			if (this.bytes != null) {
				if (this.bytes.length == 0 && !METHODS_WITH_BODY.contains(method)) {
					return null;
				}
				return new ByteArrayEntity(this.bytes, null);
			}
			return new StreamedEntity(this.stream, this.length);
		}

	}

	/**
	 * A request body streamed once, written in parts of {@link #COPY_BUFFER}: each write
	 * is a TLS record and a system call, and Apache HttpClient's own stream entity writes
	 * 4 KB at a time, 250 of each for a 1 MB body.
	 */
	private static final class StreamedEntity extends AbstractHttpEntity {

		private final InputStream in;

		private final long length;

		StreamedEntity(InputStream in, long length) {
			super((ContentType) null, null, length < 0);
			this.in = in;
			this.length = length;
		}

		@Override
		public InputStream getContent() {
			return this.in;
		}

		@Override
		public long getContentLength() {
			return this.length;
		}

		@Override
		public boolean isRepeatable() {
			return false;
		}

		@Override
		public boolean isStreaming() {
			return true;
		}

		@Override
		public void writeTo(OutputStream out) throws IOException {
			try (InputStream body = this.in) {
				byte[] buffer = new byte[COPY_BUFFER];
				long remaining = this.length;
				int read;
				while (remaining != 0 && (read = body.read(buffer, 0,
						(int) ((remaining < 0) ? buffer.length : Math.min(buffer.length, remaining)))) != -1) {
					out.write(buffer, 0, read);
					remaining = (remaining < 0) ? remaining : remaining - read;
				}
			}
		}

		@Override
		public void close() throws IOException {
			this.in.close();
		}

	}

	/**
	 * Counts what it reads and fails past the limit, remembering whether the limit or the
	 * caller's connection ended the body.
	 */
	private static final class LimitedInputStream extends FilterInputStream {

		private final long limit;

		private long count;

		private volatile boolean exceeded;

		private volatile boolean unreadable;

		LimitedInputStream(InputStream in, long limit) {
			super(in);
			this.limit = limit;
		}

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			int read = read(one, 0, 1);
			return (read < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			int read;
			try {
				read = super.read(buffer, offset, length);
			}
			catch (IOException ex) {
				this.unreadable = true;
				throw ex;
			}
			if (read > 0) {
				this.count += read;
				if (this.count > this.limit) {
					this.exceeded = true;
					throw new IOException("The request body exceeds broker.proxy.max-body-size");
				}
			}
			return read;
		}

	}

}
