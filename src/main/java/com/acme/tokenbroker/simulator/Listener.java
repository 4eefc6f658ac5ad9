package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTPS listener on 127.0.0.1 with its own bounded executor. It reads requests,
 * counts them, applies the connection-level faults ({@code DOWN}, {@code HANG},
 * {@code SLOW}) of the switch in force for the request, hands them to an {@link Api},
 * records the exchange and writes the answer.
 * <p>
 * The switch in force is the operation's own switch when one is given and set to anything
 * but {@code NONE}; otherwise the listener's switch, if the API says the operation is
 * faultable. {@code DOWN} on the listener's switch closes the port; on an operation's
 * switch it drops that operation's connections without an answer.
 * <p>
 * Logs at most one line per request: listener, method, operation and status; DEBUG for
 * recorded operations, TRACE for the others (the high-rate data plane).
 */
final class Listener {

	private static final Logger logger = LoggerFactory.getLogger(Listener.class);

	private static final int MAX_REQUEST_BYTES = 1024 * 1024;

	private static final int BACKLOG = 64;

	private final String name;

	private final SSLContext sslContext;

	private final FaultSwitch faults;

	private final Map<Operation, FaultSwitch> operationFaults;

	private final Recorder recorder;

	private final Api api;

	private final ThreadPoolExecutor executor;

	private HttpsServer server;

	private int port;

	private volatile boolean closed;

	Listener(String name, SSLContext sslContext, FaultSwitch faults, Recorder recorder, Api api, int threads) {
		this(name, sslContext, faults, Map.of(), recorder, api, threads);
	}

	Listener(String name, SSLContext sslContext, FaultSwitch faults, Map<Operation, FaultSwitch> operationFaults,
			Recorder recorder, Api api, int threads) {
		this.name = name;
		this.sslContext = sslContext;
		this.faults = faults;
		this.operationFaults = Map.copyOf(operationFaults);
		this.recorder = recorder;
		this.api = api;
		this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
				daemonThreads("sim-" + name), new ThreadPoolExecutor.CallerRunsPolicy());
		this.executor.allowCoreThreadTimeOut(true);
		faults.onChange(this::onFaultChanged);
	}

	synchronized void start() {
		bind(0);
		if (this.faults.current().kind() == Fault.Kind.DOWN) {
			this.server.stop(0);
			this.server = null;
		}
	}

	synchronized int port() {
		return this.port;
	}

	String name() {
		return this.name;
	}

	synchronized void close() {
		this.closed = true;
		this.faults.close();
		this.operationFaults.values().forEach(FaultSwitch::close);
		if (this.server != null) {
			this.server.stop(0);
			this.server = null;
		}
		this.executor.shutdownNow();
		try {
			this.executor.awaitTermination(2, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private synchronized void onFaultChanged(Fault previous, Fault next) {
		if (this.closed || this.port == 0) {
			return;
		}
		if (next.kind() == Fault.Kind.DOWN && this.server != null) {
			this.server.stop(0);
			this.server = null;
			logger.debug("{} listener down", this.name);
		}
		else if (next.kind() != Fault.Kind.DOWN && this.server == null) {
			bind(this.port);
			logger.debug("{} listener up again", this.name);
		}
	}

	private void bind(int requestedPort) {
		try {
			InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), requestedPort);
			HttpsServer created = HttpsServer.create(address, BACKLOG);
			created.setHttpsConfigurator(new HttpsConfigurator(this.sslContext));
			created.setExecutor(this.executor);
			created.createContext("/", this::handle);
			created.start();
			this.server = created;
			this.port = created.getAddress().getPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot bind the " + this.name + " listener to port " + requestedPort, ex);
		}
	}

	private void handle(HttpExchange exchange) {
		try {
			SimRequest request = read(exchange);
			if (request == null) {
				writeQuietly(exchange, SimResponse.empty(413));
				return;
			}
			Operation operation = this.api.classify(request);
			this.recorder.increment(this.name, operation);
			FaultSwitch source = this.operationFaults.get(operation);
			FaultSwitch.State state = (source != null) ? source.state() : null;
			if (state == null || state.fault().kind() == Fault.Kind.NONE) {
				source = this.api.isFaultable(operation) ? this.faults : null;
				state = (source != null) ? source.state() : null;
			}
			Fault fault = (state != null) ? state.fault() : Fault.none();
			if (fault.kind() == Fault.Kind.DOWN) {
				// An operation's own DOWN (or the listener's, while it is stopping): drop
				// the
				// connection without an answer.
				logger.debug("{} {} {} dropped", this.name, request.method(), operation);
				return;
			}
			if (fault.kind() == Fault.Kind.HANG) {
				if (!source.awaitRelease(state)) {
					return;
				}
				fault = Fault.none();
			}
			else if (fault.kind() == Fault.Kind.SLOW) {
				Thread.sleep(fault.duration().toMillis());
				fault = Fault.none();
			}
			if (this.closed) {
				return;
			}
			SimResponse response;
			try {
				response = this.api.handle(request, operation, fault);
			}
			catch (RuntimeException ex) {
				// Only the type: messages from parsers may quote request content.
				logger.warn("{} {} {} failed: {}", this.name, request.method(), operation, ex.getClass().getName());
				response = SimResponse.empty(500);
			}
			if (this.api.isRecorded(operation)) {
				record(request, operation, response);
				logger.debug("{} {} {} -> {}", this.name, request.method(), operation, response.status());
			}
			else {
				logger.trace("{} {} {} -> {}", this.name, request.method(), operation, response.status());
			}
			writeQuietly(exchange, response);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException ex) {
			logger.debug("{} request aborted: {}", this.name, ex.getClass().getName());
		}
		finally {
			exchange.close();
		}
	}

	private SimRequest read(HttpExchange exchange) throws IOException {
		Map<String, List<String>> headers = new LinkedHashMap<>();
		exchange.getRequestHeaders()
			.forEach((key, values) -> headers.put(key.toLowerCase(Locale.ROOT), List.copyOf(values)));
		byte[] body;
		try (InputStream in = exchange.getRequestBody()) {
			body = in.readNBytes(MAX_REQUEST_BYTES + 1);
		}
		if (body.length > MAX_REQUEST_BYTES) {
			return null;
		}
		return new SimRequest(exchange.getRequestMethod().toUpperCase(Locale.ROOT), exchange.getRequestURI().getPath(),
				exchange.getRequestURI().getRawPath(), exchange.getRequestURI().getRawQuery(), headers, body);
	}

	private void record(SimRequest request, Operation operation, SimResponse response) {
		Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
		response.headers().forEach((key, values) -> responseHeaders.put(key, List.copyOf(values)));
		this.recorder.record(new RecordedExchange(this.name, operation, request.method(), request.rawPath(),
				request.rawQuery(), List.copyOf(new ArrayList<>(request.headers().keySet())), request.contentType(),
				cut(request.body()), response.status(), responseHeaders, cut(response.body()), response.body().length));
	}

	private static String cut(byte[] body) {
		String text = new String(body, StandardCharsets.UTF_8);
		return (text.length() > RecordedExchange.MAX_BODY_CHARS) ? text.substring(0, RecordedExchange.MAX_BODY_CHARS)
				: text;
	}

	private static void writeQuietly(HttpExchange exchange, SimResponse response) {
		try {
			Headers headers = exchange.getResponseHeaders();
			response.headers().forEach(headers::put);
			byte[] body = response.body();
			exchange.sendResponseHeaders(response.status(), (body.length == 0) ? -1 : body.length);
			if (body.length > 0) {
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(body);
				}
			}
		}
		catch (IOException ex) {
			logger.debug("response not delivered: {}", ex.getClass().getName());
		}
	}

	private static ThreadFactory daemonThreads(String prefix) {
		AtomicInteger counter = new AtomicInteger();
		return (runnable) -> {
			Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	@Override
	public String toString() {
		return "Listener[" + this.name + "]";
	}

	/**
	 * One simulated API behind a listener.
	 */
	interface Api {

		/**
		 * Classify a request for counting and recording.
		 */
		Operation classify(SimRequest request);

		/**
		 * Whether the switch's faults apply to this operation ({@code DOWN} always does).
		 */
		boolean isFaultable(Operation operation);

		/**
		 * Whether exchanges of this operation are kept for
		 * {@link SimulatedWorkspace#exchanges()} (they are always counted).
		 */
		default boolean isRecorded(Operation operation) {
			return true;
		}

		/**
		 * Answer a request. {@code fault} is never {@code DOWN}, {@code HANG} or
		 * {@code SLOW}: the listener has dealt with those.
		 */
		SimResponse handle(SimRequest request, Operation operation, Fault fault);

	}

}
