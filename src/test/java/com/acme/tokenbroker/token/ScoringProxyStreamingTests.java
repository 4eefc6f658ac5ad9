package com.acme.tokenbroker.token;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.OutboundProxy;
import com.acme.tokenbroker.support.TestCatalog;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * Issue 16, item 1: a 100 MB request body goes through the proxy in constant memory. The
 * body is generated as it is read and a plain endpoint on loopback counts what it
 * receives: at no point is the generator far ahead of the endpoint, so the broker never
 * holds more than a window of the body (the simulated workspace's scoring endpoint takes
 * at most 1 MiB, hence this endpoint of its own).
 */
class ScoringProxyStreamingTests {

	static final long BODY = DataSize.ofMegabytes(100).toBytes();

	/** Socket and client buffers: far below the body, far above what they hold. */
	static final long WINDOW = DataSize.ofMegabytes(16).toBytes();

	final AtomicLong received = new AtomicLong();

	final ServiceCatalog catalog = TestCatalog.withServices("fraud");

	final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	HttpServer endpoint;

	@BeforeEach
	void startEndpoint() throws IOException {
		this.endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
		this.endpoint.createContext("/score", (exchange) -> {
			byte[] buffer = new byte[64 * 1024];
			try (InputStream in = exchange.getRequestBody()) {
				for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
					this.received.addAndGet(read);
				}
			}
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			byte[] answer = ("received=" + this.received.get() + " authorization=" + authorization)
				.getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(200, answer.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(answer);
			}
		});
		this.endpoint.createContext("/score/moved", (exchange) -> {
			exchange.getResponseHeaders().add("Location", "https://elsewhere.example/score");
			exchange.getResponseHeaders().add("Proxy-Authenticate", "Basic realm=\"up\"");
			exchange.getResponseHeaders().add("Trailer", "X-Checksum");
			exchange.getResponseHeaders().add("X-Service", "moved");
			exchange.sendResponseHeaders(302, -1);
			exchange.close();
		});
		this.endpoint.start();
	}

	@AfterEach
	void stopEndpoint() {
		this.endpoint.stop(0);
	}

	@Test
	void forwardWhenBodyIsHundredMegabytesThenItStreamsWithinAWindow() throws IOException {
		TokenBroker broker = brokerServing("Bearer", "the-key");
		ProxyProperties properties = new ProxyProperties(true, DataSize.ofMegabytes(200), DataSize.ofKilobytes(64),
				Duration.ofSeconds(3), Duration.ofSeconds(60), Duration.ofSeconds(30));
		ScoringProxy proxy = new ScoringProxy(broker, null, OutboundProxy.DIRECT, properties,
				new SimpleMeterRegistry());
		Generated body = new Generated(BODY, this.received);
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/services/fraud") {

			@Override
			public ServletInputStream getInputStream() {
				return body;
			}

			@Override
			public long getContentLengthLong() {
				return BODY;
			}

		};
		request.addHeader("Authorization", "Bearer caller-token");
		MockHttpServletResponse response = new MockHttpServletResponse();

		ScoringProxy.Outcome outcome = proxy.forward(this.fraud, "", request, (answer) -> {
		}, response);

		assertThat(outcome.status()).isEqualTo(200);
		assertThat(response.getContentAsString()).isEqualTo("received=" + BODY + " authorization=Bearer the-key");
		assertThat(body.maxLead).as("bytes read from the caller but not yet at the endpoint").isLessThan(WINDOW);
	}

	@Test
	void forwardWhenTheEndpointRedirectsThenTheRedirectIsAnsweredAsIsWithoutHopByHopHeaders() throws IOException {
		ProxyProperties properties = new ProxyProperties(true, DataSize.ofMegabytes(1), DataSize.ofKilobytes(64),
				Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(30));
		ScoringProxy proxy = new ScoringProxy(brokerServing("Bearer", "the-key"), null, OutboundProxy.DIRECT,
				properties, new SimpleMeterRegistry());
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/services/fraud/moved");
		MockHttpServletResponse response = new MockHttpServletResponse();

		ScoringProxy.Outcome outcome = proxy.forward(this.fraud, "/moved", request, (answer) -> {
		}, response);

		assertThat(outcome.status()).isEqualTo(302);
		assertThat(response.getStatus()).isEqualTo(302);
		assertThat(response.getHeader("Location")).isEqualTo("https://elsewhere.example/score");
		assertThat(response.getHeader("X-Service")).isEqualTo("moved");
		assertThat(response.getHeader("Proxy-Authenticate")).isNull();
		assertThat(response.getHeader("Trailer")).isNull();
		assertThat(this.received.get()).isZero();
	}

	private TokenBroker brokerServing(String type, String value) {
		TokenBroker broker = mock(TokenBroker.class);
		Instant fetched = Instant.parse("2026-11-28T10:00:00Z");
		BrokeredToken key = new BrokeredToken(this.fraud.name(), type, value, fetched.plusSeconds(300),
				fetched.plusSeconds(600), fetched, "key",
				"http://127.0.0.1:" + this.endpoint.getAddress().getPort() + "/score");
		given(broker.tokenFor(eq(this.fraud), any())).willReturn(new TokenBroker.Served(key, false, false));
		return broker;
	}

	/** A body made up as it is read, noting how far ahead of the endpoint it gets. */
	static final class Generated extends ServletInputStream {

		private final long size;

		private final AtomicLong received;

		private long produced;

		volatile long maxLead;

		Generated(long size, AtomicLong received) {
			this.size = size;
			this.received = received;
		}

		@Override
		public int read() {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : one[0];
		}

		@Override
		public int read(byte[] buffer, int offset, int length) {
			if (this.produced >= this.size) {
				return -1;
			}
			int count = (int) Math.min(length, this.size - this.produced);
			for (int i = 0; i < count; i++) {
				buffer[offset + i] = (byte) ('a' + ((this.produced + i) % 26));
			}
			this.produced += count;
			this.maxLead = Math.max(this.maxLead, this.produced - this.received.get());
			return count;
		}

		@Override
		public boolean isFinished() {
			return this.produced >= this.size;
		}

		@Override
		public boolean isReady() {
			return true;
		}

		@Override
		public void setReadListener(ReadListener listener) {
			throw new UnsupportedOperationException();
		}

	}

}
