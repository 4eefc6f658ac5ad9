package com.acme.tokenbroker.token;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.support.CannedAnswerServer;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.system.OutboundProperties;
import com.acme.tokenbroker.system.OutboundProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
 * Issue 16, item 1: an outbound proxy that refuses the injecting proxy's tunnel to a
 * scoring endpoint (407 for missing or wrong credentials, 403 for a host it does not
 * allow). Apache HttpClient hands the proxy's answer to the CONNECT back as if it were
 * the endpoint's; passed on, the caller would take the proxy's 407 page for the service's
 * answer. It is a 502 {@code scoring-unreachable} problem naming the refusal, and nothing
 * is written. The proxy is a socket of the test's own that refuses every request it
 * reads.
 */
class ScoringProxyTunnelRefusalTests {

	static final String KEY = "the-served-key-0123456789";

	final ServiceCatalog catalog = TestCatalog.withServices("fraud");

	final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	CannedAnswerServer refusingProxy;

	@AfterEach
	void stopProxy() throws IOException {
		if (this.refusingProxy != null) {
			this.refusingProxy.close();
		}
	}

	@ParameterizedTest
	@CsvSource({ "407 Proxy Authentication Required, , 407", "407 Proxy Authentication Required, user, 407",
			"403 Forbidden, , 403" })
	void aRefusedTunnelIsA502NamingTheRefusalNotTheProxysAnswer(String statusLine, String user, int status)
			throws Exception {
		startRefusingProxy(statusLine);
		OutboundProxy outbound = OutboundProxy
			.from(new OutboundProperties.Proxy(URI.create("http://127.0.0.1:" + this.refusingProxy.port()), user,
					(user != null) ? "wrong-password" : null, List.of()), (variable) -> null);
		ProxyProperties properties = new ProxyProperties(true, DataSize.ofMegabytes(1), DataSize.ofKilobytes(64),
				Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(10));
		MockHttpServletResponse response = new MockHttpServletResponse();
		try (ScoringProxy proxy = new ScoringProxy(broker(), null, outbound, properties, new SimpleMeterRegistry())) {
			assertThatExceptionOfType(ErrorResponseException.class).isThrownBy(() -> proxy.forward(this.fraud, "",
					new MockHttpServletRequest("POST", "/services/fraud"), (answer) -> {
					}, response))
				.satisfies((ex) -> {
					assertThat(ex.getStatusCode().value()).isEqualTo(502);
					assertThat(ex.getBody().getType()).isEqualTo(Problems.SCORING_UNREACHABLE);
					assertThat(ex.getBody().getDetail()).contains("outbound proxy refused the tunnel with " + status)
						.doesNotContain(KEY)
						.doesNotContain("wrong-password");
				});
		}
		assertThat(this.refusingProxy.requests()).as("the proxy was asked").isPositive();
		assertThat(response.isCommitted()).isFalse();
		assertThat(response.getContentAsByteArray()).isEmpty();
	}

	private TokenBroker broker() {
		TokenBroker broker = mock(TokenBroker.class);
		Instant fetched = Instant.parse("2026-11-28T10:00:00Z");
		// an https scoring URI: reached through a CONNECT tunnel; nothing listens there
		BrokeredToken key = new BrokeredToken(this.fraud.name(), "Bearer", KEY, fetched.plusSeconds(300),
				fetched.plusSeconds(600), fetched, "key", "https://scoring.invalid:443/score");
		given(broker.tokenFor(eq(this.fraud), any())).willReturn(new TokenBroker.Served(key, false, false));
		return broker;
	}

	/** Answers every request it reads with {@code statusLine}, then closes. */
	private void startRefusingProxy(String statusLine) throws IOException {
		String page = "<html>refused</html>";
		this.refusingProxy = CannedAnswerServer.start("refusing-proxy",
				"HTTP/1.1 " + statusLine + "\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
						+ "Content-Type: text/html\r\nContent-Length: " + page.length()
						+ "\r\nConnection: close\r\n\r\n" + page,
				null);
	}

}
