package com.acme.tokenbroker.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestServices;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doReturn;

/**
 * Issue 16, item 1: a scoring endpoint that breaks off its answer mid-body, seen from the
 * caller's side of a real server. The status and headers were passed on, so the caller's
 * connection is closed without ending the answer: fewer bytes than the declared
 * {@code Content-Length}, or no last chunk. No problem is written into the answer and no
 * error is logged with a stack trace. The endpoint is a socket of the test's own, named
 * as the service's scoring URI by the served credential.
 */
@SimulatedWorkspaceTest(testCatalog = false)
@ExtendWith(OutputCaptureExtension.class)
class ScoringProxyAbortIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final Map<String, CatalogProperties.Workspace> WORKSPACES = TestWorkspaces.westEurope();

	static final Map<String, CatalogProperties.Service> SERVICES = TestServices.catalog()
		.add("key-v1", "weu", ServiceKind.WEBSERVICE, AuthMode.KEY)
		.build();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK, WORKSPACES, SERVICES,
			SimulatedWorkspace.builder().entraTokenLifetime(Duration.ofDays(30)));

	static final String PART = "x".repeat(100);

	@DynamicPropertySource
	static void simulatedWorkspace(DynamicPropertyRegistry registry) {
		TestWorkspaces.registerCatalog(registry, SIMULATOR, WORKSPACES, SERVICES);
	}

	@LocalServerPort
	int port;

	@MockitoSpyBean
	TokenBroker broker;

	@Autowired
	ServiceCatalog catalog;

	ServerSocket endpoint;

	@AfterEach
	void stopEndpoint() throws IOException {
		if (this.endpoint != null) {
			this.endpoint.close();
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "Content-Length: 1000", "Transfer-Encoding: chunked" })
	void anAnswerBrokenOffMidBodyReachesTheCallerBrokenOff(String framing, CapturedOutput output) throws Exception {
		boolean chunked = framing.startsWith("Transfer-Encoding");
		startEndpoint("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n"
				+ (chunked ? "64\r\n" + PART + "\r\n" : PART));
		ServiceDescriptor service = this.catalog.find(ServiceName.of("key-v1")).orElseThrow();
		Instant now = CLOCK.instant();
		BrokeredToken credential = new BrokeredToken(service.name(), "Bearer", "the-served-key", now.plusSeconds(300),
				now.plusSeconds(600), now, "key", "http://127.0.0.1:" + this.endpoint.getLocalPort() + "/score");
		doReturn(new TokenBroker.Served(credential, false, false)).when(this.broker).tokenFor(eq(service), any());

		String received = exchange("GET /services/key-v1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
				+ CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1)) + "\r\n\r\n");

		assertThat(received).startsWith("HTTP/1.1 200");
		String body = received.substring(received.indexOf("\r\n\r\n") + 4);
		if (chunked) {
			assertThat(received).containsIgnoringCase("Transfer-Encoding: chunked");
			assertThat(body).as("no last chunk").contains(PART).doesNotEndWith("0\r\n\r\n");
		}
		else {
			assertThat(received).containsIgnoringCase("Content-Length: 1000");
			assertThat(body).as("fewer bytes than declared").isEqualTo(PART);
		}
		assertThat(body).doesNotContain("problem");
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(output.getAll()).contains("failed while its answer was streamed"));
		assertThat(output.getAll()).doesNotContain("the-served-key")
			.doesNotContain("Unexpected error")
			.doesNotContain("\tat ");
	}

	/** What the broker sends back until it closes the connection. */
	private String exchange(String request) throws IOException {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
			socket.setSoTimeout(10_000);
			socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
			socket.getOutputStream().flush();
			ByteArrayOutputStream received = new ByteArrayOutputStream();
			// a timeout here is a connection kept open: the answer looked complete
			socket.getInputStream().transferTo(received);
			return received.toString(StandardCharsets.US_ASCII);
		}
	}

	/** One connection: read the request's head, send {@code answer}, close. */
	private void startEndpoint(String answer) throws IOException {
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
			}
			catch (IOException ex) {
				// the test is over
			}
		}, "scoring-endpoint");
		thread.setDaemon(true);
		thread.start();
	}

}
