package com.acme.tokenbroker.token;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.OutboundProxy;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.TestCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * Issue 16, item 1: the scoring endpoint failing while the answer's body streams. The
 * status and headers are passed on already, so no problem can be answered: the proxy
 * gives up the answer ({@link ScoringProxy.AnswerAborted}, for the controller to close
 * the caller's connection without ending it), logs it once at WARN without a stack trace
 * or credential, and counts it under status class {@code error}. The endpoint is a socket
 * of the test's own, sending part of a body and then closing.
 */
@ExtendWith(OutputCaptureExtension.class)
class ScoringProxyAnswerFailureTests {

	static final String KEY = "the-served-key-0123456789";

	final ServiceCatalog catalog = TestCatalog.withServices("fraud");

	final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	final CountDownLatch release = new CountDownLatch(1);

	ServerSocket endpoint;

	@AfterEach
	void stopEndpoint() throws IOException {
		this.release.countDown();
		if (this.endpoint != null) {
			this.endpoint.close();
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "Content-Length: 1000", "Transfer-Encoding: chunked" })
	void forwardWhenTheEndpointDiesMidBodyThenTheAnswerIsAbortedLoggedOnceAndCountedAsError(String framing,
			CapturedOutput output) throws Exception {
		boolean chunked = framing.startsWith("Transfer-Encoding");
		String part = "x".repeat(100);
		startEndpoint("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n"
				+ (chunked ? "64\r\n" + part + "\r\n" : part), false);
		ScoringProxy proxy = proxy(Duration.ofSeconds(30));
		MockHttpServletResponse response = new MockHttpServletResponse();

		assertThatExceptionOfType(ScoringProxy.AnswerAborted.class).isThrownBy(
				() -> proxy.forward(this.fraud, "", new MockHttpServletRequest("GET", "/services/fraud"), (answer) -> {
				}, response))
			.satisfies((ex) -> assertThat(ex.getMessage()).contains("fraud").doesNotContain(KEY));

		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(this.meters.get(ScoringProxy.REQUESTS_METER).tag("status", "error").timer().count()).isEqualTo(1);
		assertThat(this.meters.find(ScoringProxy.REQUESTS_METER).tag("status", "2xx").timer()).isNull();
		String warnings = output.getAll()
			.lines()
			.filter((line) -> line.contains("failed while its answer was streamed"))
			.reduce("", (a, b) -> a + b + "\n");
		assertThat(warnings.lines()).hasSize(1);
		assertThat(warnings).contains("WARN").contains("fraud");
		assertThat(output.getAll()).doesNotContain(KEY).doesNotContain("\tat ");
	}

	@ParameterizedTest
	@ValueSource(strings = { "Content-Length: 1000", "Transfer-Encoding: chunked" })
	void forwardWhenTheEndpointStallsMidBodyThenTheAnswerIsAbortedAfterTheReadTimeout(String framing,
			CapturedOutput output) throws Exception {
		boolean chunked = framing.startsWith("Transfer-Encoding");
		String part = "x".repeat(100);
		startEndpoint("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n"
				+ (chunked ? "64\r\n" + part + "\r\n" : part), true);
		ScoringProxy proxy = proxy(Duration.ofMillis(200));
		MockHttpServletResponse response = new MockHttpServletResponse();

		assertThatExceptionOfType(ScoringProxy.AnswerAborted.class).isThrownBy(
				() -> proxy.forward(this.fraud, "", new MockHttpServletRequest("GET", "/services/fraud"), (answer) -> {
				}, response))
			.satisfies((ex) -> assertThat(ex.getMessage()).contains("fraud")
				.contains("broker.proxy.read-timeout")
				.doesNotContain(KEY));

		assertThat(response.getContentAsString()).isEqualTo(part);
		assertThat(this.meters.get(ScoringProxy.REQUESTS_METER).tag("status", "error").timer().count()).isEqualTo(1);
		assertThat(output.getAll()).doesNotContain(KEY).doesNotContain("\tat ");
		proxy.close();
	}

	/**
	 * A caller that goes away while a long answer streams: its write fails, and the
	 * exchange is closed at once, the connection to the endpoint with it, rather than
	 * reading the rest of the answer (up to the request deadline, 10 s here) to keep the
	 * connection.
	 */
	@Test
	void forwardWhenTheCallerGoesAwayMidBodyThenTheEndpointsConnectionIsClosedAtOnce() throws Exception {
		startEndpoint("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
				+ "x".repeat(100), true);
		MockHttpServletResponse goneCaller = new MockHttpServletResponse() {

			@Override
			public ServletOutputStream getOutputStream() {
				return new ServletOutputStream() {

					@Override
					public boolean isReady() {
						return true;
					}

					@Override
					public void setWriteListener(WriteListener listener) {
					}

					@Override
					public void write(int b) throws IOException {
						throw new IOException("the caller is gone");
					}

				};
			}

		};
		try (ScoringProxy proxy = proxy(Duration.ofSeconds(30))) {
			long started = System.nanoTime();

			assertThatExceptionOfType(IOException.class).isThrownBy(() -> proxy.forward(this.fraud, "",
					new MockHttpServletRequest("GET", "/services/fraud"), (answer) -> {
					}, goneCaller))
				.isNotInstanceOf(ScoringProxy.AnswerAborted.class)
				.withMessage("the caller is gone");

			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		}
	}

	private ScoringProxy proxy(Duration readTimeout) {
		TokenBroker broker = mock(TokenBroker.class);
		Instant fetched = Instant.parse("2026-11-28T10:00:00Z");
		BrokeredToken key = new BrokeredToken(this.fraud.name(), "Bearer", KEY, fetched.plusSeconds(300),
				fetched.plusSeconds(600), fetched, "key",
				"http://127.0.0.1:" + this.endpoint.getLocalPort() + "/score");
		given(broker.tokenFor(eq(this.fraud), any())).willReturn(new TokenBroker.Served(key, false, false));
		ProxyProperties properties = new ProxyProperties(true, DataSize.ofMegabytes(1), DataSize.ofKilobytes(64),
				Duration.ofSeconds(3), Duration.ofSeconds(10), readTimeout);
		return new ScoringProxy(broker, null, OutboundProxy.DIRECT, properties, this.meters);
	}

	/**
	 * One connection: read the request's head, send {@code answer}, then close, or
	 * {@code stall} until the test ends.
	 */
	private void startEndpoint(String answer, boolean stall) throws IOException {
		this.endpoint = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
		Thread thread = new Thread(() -> {
			try (Socket socket = this.endpoint.accept()) {
				InputStream in = socket.getInputStream();
				if (!RawHttp.readHead(in, null)) {
					return;
				}
				OutputStream out = socket.getOutputStream();
				out.write(answer.getBytes(StandardCharsets.US_ASCII));
				out.flush();
				if (stall) {
					this.release.await();
				}
			}
			catch (IOException | InterruptedException ex) {
				// the test is over
			}
		}, "scoring-endpoint");
		thread.setDaemon(true);
		thread.start();
	}

}
