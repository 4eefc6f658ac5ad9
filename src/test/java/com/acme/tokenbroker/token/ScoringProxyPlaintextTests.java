package com.acme.tokenbroker.token;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.support.CannedAnswerServer;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.system.OutboundProperties;
import com.acme.tokenbroker.system.OutboundProxy;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;
import org.springframework.web.ErrorResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * A scoring URI over plain {@code http} (as an ACI web service without TLS has) and an
 * outbound proxy: the proxy would read the served credential in the forwarded request's
 * {@code Authorization} header, and its own 401 or 403 would look like the endpoint
 * refusing the credential. The injecting proxy never sends a credential through an
 * outbound proxy in clear: such a request is a 502 {@code scoring-unreachable} saying why
 * and how to reach the endpoint, and the outbound proxy is never contacted. Reached
 * directly (no proxy, or its host in the non-proxy hosts) a plain http endpoint is
 * forwarded to as before. The outbound proxy is a socket of the test's own that records
 * what it reads.
 */
class ScoringProxyPlaintextTests {

	static final String KEY = "the-served-key-0123456789";

	final ServiceCatalog catalog = TestCatalog.withServices("fraud");

	final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	final ProxyProperties properties = new ProxyProperties(true, DataSize.ofMegabytes(1), DataSize.ofKilobytes(64),
			Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(10));

	final ByteArrayOutputStream proxyRead = new ByteArrayOutputStream();

	CannedAnswerServer recordingProxy;

	HttpServer endpoint;

	final AtomicInteger endpointCalls = new AtomicInteger();

	@BeforeEach
	void start() throws IOException {
		startRecordingProxy();
		this.endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
		this.endpoint.createContext("/score", (exchange) -> {
			this.endpointCalls.incrementAndGet();
			exchange.getRequestBody().readAllBytes();
			byte[] answer = ("authorization=" + exchange.getRequestHeaders().getFirst("Authorization"))
				.getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(200, answer.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(answer);
			}
		});
		this.endpoint.start();
	}

	@AfterEach
	void stop() throws IOException {
		this.recordingProxy.close();
		this.endpoint.stop(0);
	}

	@ParameterizedTest
	@ValueSource(strings = { "http", "HTTP" })
	void forwardWhenThePlainHttpEndpointIsBehindTheOutboundProxyThenA502AndTheProxyNeverSeesTheCredential(
			String scheme) {
		String scoringUri = scheme + "://127.0.0.1:" + this.endpoint.getAddress().getPort() + "/score";
		MockHttpServletResponse response = new MockHttpServletResponse();
		try (ScoringProxy proxy = proxy(outbound(List.of()), scoringUri)) {
			assertThatExceptionOfType(ErrorResponseException.class).isThrownBy(() -> proxy.forward(this.fraud, "",
					new MockHttpServletRequest("POST", "/services/fraud"), (answer) -> {
					}, response))
				.satisfies((ex) -> {
					assertThat(ex.getStatusCode().value()).isEqualTo(502);
					assertThat(ex.getBody().getType()).isEqualTo(Problems.SCORING_UNREACHABLE);
					assertThat(ex.getBody().getDetail()).contains("plain http")
						.contains("outbound proxy")
						.contains("broker.upstream.proxy.non-proxy-hosts")
						.doesNotContain(KEY);
				});
		}
		assertThat(this.recordingProxy.requests()).as("requests the outbound proxy read").isZero();
		assertThat(this.proxyRead.toString(StandardCharsets.ISO_8859_1)).doesNotContain(KEY);
		assertThat(this.endpointCalls).hasValue(0);
		assertThat(response.isCommitted()).isFalse();
		assertThat(response.getContentAsByteArray()).isEmpty();
	}

	@Test
	void forwardWhenThePlainHttpEndpointIsANonProxyHostThenItIsReachedDirectly() throws IOException {
		String scoringUri = "http://127.0.0.1:" + this.endpoint.getAddress().getPort() + "/score";
		MockHttpServletResponse response = new MockHttpServletResponse();
		try (ScoringProxy proxy = proxy(outbound(List.of("127.0.0.1")), scoringUri)) {
			ScoringProxy.Outcome outcome = proxy.forward(this.fraud, "",
					new MockHttpServletRequest("POST", "/services/fraud"), (answer) -> {
					}, response);
			assertThat(outcome.status()).isEqualTo(200);
		}
		assertThat(response.getContentAsString()).isEqualTo("authorization=Bearer " + KEY);
		assertThat(this.recordingProxy.requests()).isZero();
	}

	@Test
	void forwardWhenThereIsNoOutboundProxyThenThePlainHttpEndpointIsReached() throws IOException {
		String scoringUri = "http://127.0.0.1:" + this.endpoint.getAddress().getPort() + "/score";
		MockHttpServletResponse response = new MockHttpServletResponse();
		try (ScoringProxy proxy = proxy(OutboundProxy.DIRECT, scoringUri)) {
			ScoringProxy.Outcome outcome = proxy.forward(this.fraud, "",
					new MockHttpServletRequest("POST", "/services/fraud"), (answer) -> {
					}, response);
			assertThat(outcome.status()).isEqualTo(200);
		}
		assertThat(response.getContentAsString()).isEqualTo("authorization=Bearer " + KEY);
	}

	private OutboundProxy outbound(List<String> nonProxyHosts) {
		return OutboundProxy
			.from(new OutboundProperties.Proxy(URI.create("http://127.0.0.1:" + this.recordingProxy.port()), null, null,
					nonProxyHosts), (variable) -> null);
	}

	private ScoringProxy proxy(OutboundProxy outbound, String scoringUri) {
		return new ScoringProxy(broker(scoringUri), null, outbound, this.properties, new SimpleMeterRegistry());
	}

	private TokenBroker broker(String scoringUri) {
		TokenBroker broker = mock(TokenBroker.class);
		Instant fetched = Instant.parse("2026-11-28T10:00:00Z");
		BrokeredToken key = new BrokeredToken(this.fraud.name(), "Bearer", KEY, fetched.plusSeconds(300),
				fetched.plusSeconds(600), fetched, "key", scoringUri);
		given(broker.tokenFor(eq(this.fraud), any())).willReturn(new TokenBroker.Served(key, false, false));
		return broker;
	}

	/** Reads each request's head, keeps it, and answers 200 as an open proxy would. */
	private void startRecordingProxy() throws IOException {
		this.recordingProxy = CannedAnswerServer.start("recording-proxy",
				"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nfrom-proxy", this.proxyRead);
	}

}
