package com.acme.tokenbroker.token;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
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

	/** RFC 9110 §7.6.1, and what the JDK client sets itself or refuses. */
	private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
			"proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
			"content-length", "expect");

	/**
	 * Never forwarded: the caller's credential for the broker, and cookies for the
	 * broker's origin, are not the service's.
	 */
	private static final Set<String> CALLER_ONLY = Set.of("authorization", "cookie");

	private static final Duration[] SLOS = { Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
			Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
			Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30) };

	private static final Logger logger = LoggerFactory.getLogger(ScoringProxy.class);

	private final TokenBroker broker;

	private final HttpClient client;

	private final ProxyProperties properties;

	private final MeterRegistry meters;

	/**
	 * Aborts a read of an answer's body past {@code read-timeout}: the JDK client has no
	 * timeout once the headers arrived. One daemon thread; a cancelled wait is removed at
	 * once, as nearly every wait is.
	 */
	private final ScheduledThreadPoolExecutor watchdog;

	ScoringProxy(TokenBroker broker, HttpClient client, ProxyProperties properties, MeterRegistry meters) {
		this.broker = broker;
		this.client = client;
		this.properties = properties;
		this.meters = meters;
		this.watchdog = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "proxy-read-timeout");
			thread.setDaemon(true);
			return thread;
		});
		this.watchdog.setRemoveOnCancelPolicy(true);
	}

	@Override
	public void close() {
		this.watchdog.shutdownNow();
	}

	/**
	 * Forward the request and write the answer.
	 * @param service the service (the caller is authorized before)
	 * @param remainder the raw path after {@code /services/{service}}, empty or starting
	 * with {@code /}
	 * @param request the caller's request
	 * @param response where the answer goes
	 * @return what happened, for the access log
	 * @throws ErrorResponseException a problem (400, 413, 502, 504, or the broker's own
	 * 503) when nothing was written yet
	 * @throws AnswerAborted when the scoring endpoint failed while the answer's body was
	 * streamed (logged here, once)
	 * @throws IOException when the answer could not be written to the caller
	 */
	Outcome forward(ServiceDescriptor service, String remainder, HttpServletRequest request,
			HttpServletResponse response) throws IOException {
		ServiceName name = service.name();
		TokenBroker.Served served = this.broker.tokenFor(service, Duration.ZERO);
		URI target = target(scoringUri(served.token()), remainder, request.getQueryString());
		Body body = body(request);
		Timer.Sample sample = Timer.start(this.meters);
		String statusClass = "error";
		try {
			HttpResponse<InputStream> answer = send(name, target, request, body, served.token());
			// the endpoint answered, even if the broker then answers its own 503
			statusClass = (answer.statusCode() / 100) + "xx";
			boolean refreshed = false;
			boolean retried = false;
			if (answer.statusCode() == 401 || answer.statusCode() == 403) {
				TokenBroker.Served replacement = replacement(service, served.token(), body.isReplayable(), answer);
				if (replacement != null) {
					refreshed = true;
					if (body.isReplayable()) {
						answer.body().close();
						Counter.builder(RETRIES_METER)
							.description("Requests the proxy sent again after the broker replaced a refused credential")
							.tag("service", name.value())
							.register(this.meters)
							.increment();
						retried = true;
						answer = send(name, target, request, body, replacement.token());
					}
				}
			}
			statusClass = (answer.statusCode() / 100) + "xx";
			try {
				write(name, answer, refreshed, response, this.properties.readTimeout());
			}
			catch (AnswerAborted ex) {
				statusClass = "error";
				logger.warn("{}; the caller's connection is closed", ex.getMessage());
				throw ex;
			}
			return new Outcome(answer.statusCode(), refreshed, retried);
		}
		finally {
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
			HttpResponse<InputStream> answer) throws IOException {
		try {
			return this.broker.replaceRejected(service, CredentialFingerprint.of(refused.value()));
		}
		catch (TokenUnavailableException ex) {
			if (replayable) {
				answer.body().close();
				throw ex;
			}
			return null;
		}
	}

	private HttpResponse<InputStream> send(ServiceName name, URI target, HttpServletRequest request, Body body,
			BrokeredToken credential) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(target)
			.timeout(this.properties.requestDeadline())
			.method(request.getMethod(), body.publisher());
		copyRequestHeaders(request, builder);
		builder.header("Authorization", credential.tokenType() + " " + credential.value());
		try {
			return this.client.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
		}
		catch (HttpConnectTimeoutException ex) {
			throw unreachable(name, "connecting timed out");
		}
		catch (HttpTimeoutException ex) {
			throw new ErrorResponseException(HttpStatus.GATEWAY_TIMEOUT, Problems.of(HttpStatus.GATEWAY_TIMEOUT,
					Problems.SCORING_TIMEOUT, "Scoring endpoint timed out",
					"The scoring endpoint of service '" + name + "' did not answer within "
							+ this.properties.requestDeadline().toSeconds() + " s (broker.proxy.request-deadline)"),
					ex);
		}
		catch (IOException ex) {
			if (body.exceeded()) {
				throw tooLarge();
			}
			if (body.unreadable()) {
				throw invalid("The request body could not be read");
			}
			throw unreachable(name, ex.getClass().getSimpleName());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw unreachable(name, "interrupted");
		}
	}

	private static void copyRequestHeaders(HttpServletRequest request, HttpRequest.Builder builder) {
		Set<String> dropped = dropped(request.getHeaders("Connection"));
		for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
			String header = names.nextElement();
			String lower = header.toLowerCase(Locale.ROOT);
			if (HOP_BY_HOP.contains(lower) || CALLER_ONLY.contains(lower) || dropped.contains(lower)) {
				continue;
			}
			for (Enumeration<String> values = request.getHeaders(header); values.hasMoreElements();) {
				builder.header(header, values.nextElement());
			}
		}
	}

	private void write(ServiceName name, HttpResponse<InputStream> answer, boolean refreshed,
			HttpServletResponse response, Duration readTimeout) throws IOException {
		response.setStatus(answer.statusCode());
		Map<String, List<String>> headers = answer.headers().map();
		Set<String> dropped = dropped(java.util.Collections.enumeration(headers.getOrDefault("connection", List.of())));
		headers.forEach((header, values) -> {
			String lower = header.toLowerCase(Locale.ROOT);
			boolean length = lower.equals("content-length");
			if (header.startsWith(":") || (HOP_BY_HOP.contains(lower) && !length) || dropped.contains(lower)) {
				return;
			}
			values.forEach((value) -> response.addHeader(header, value));
		});
		if (refreshed) {
			response.setHeader(REFRESHED_HEADER, "true");
		}
		// the status and headers go to the caller as they came, before any body: from
		// here
		// on a failure can only abort the answer, whatever its size (AnswerAborted)
		response.flushBuffer();
		try (InputStream in = answer.body()) {
			OutputStream out = response.getOutputStream();
			byte[] buffer = new byte[16 * 1024];
			for (int read = read(name, in, buffer, readTimeout); read >= 0; read = read(name, in, buffer,
					readTimeout)) {
				// a failure here is the caller's connection, not the endpoint's
				out.write(buffer, 0, read);
			}
			out.flush();
		}
	}

	/**
	 * The next part of the answer's body; past the read timeout, the body is closed,
	 * which ends the waiting read with an {@link IOException}.
	 */
	private int read(ServiceName name, InputStream in, byte[] buffer, Duration readTimeout) throws AnswerAborted {
		AtomicBoolean timedOut = new AtomicBoolean();
		ScheduledFuture<?> timeout = this.watchdog.schedule(() -> {
			timedOut.set(true);
			try {
				in.close();
			}
			catch (IOException ex) {
				// the read fails either way
			}
		}, readTimeout.toNanos(), TimeUnit.NANOSECONDS);
		try {
			return in.read(buffer);
		}
		catch (IOException ex) {
			throw new AnswerAborted(
					"The scoring endpoint of service '" + name + "' failed while its answer was streamed ("
							+ (timedOut.get()
									? "nothing for " + readTimeout.toMillis() + " ms, broker.proxy.read-timeout"
									: ex.getClass().getSimpleName())
							+ ")");
		}
		finally {
			timeout.cancel(false);
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

		HttpRequest.BodyPublisher publisher() {
			if (this.bytes != null) {
				return (this.bytes.length == 0) ? HttpRequest.BodyPublishers.noBody()
						: HttpRequest.BodyPublishers.ofByteArray(this.bytes);
			}
			HttpRequest.BodyPublisher streamed = HttpRequest.BodyPublishers.ofInputStream(() -> this.stream);
			return (this.length >= 0) ? HttpRequest.BodyPublishers.fromPublisher(streamed, this.length) : streamed;
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
