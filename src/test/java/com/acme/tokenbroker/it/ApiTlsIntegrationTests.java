package com.acme.tokenbroker.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import com.acme.tokenbroker.simulator.ServerCertificates;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.PassedOnProbe;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * TLS on the API port from a Spring SSL bundle of PEM files, reloaded when they change
 * (issue 11, item 8): the configuration docs/deploy.md and application.yml show. A client
 * that trusts only the certificate made here fetches a token, from the full chain and
 * from the fast path alike (both with HSTS); the management port stays plain HTTP; after
 * the files are replaced, new connections see the new certificate.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "server.ssl.bundle=api",
				"spring.ssl.bundle.pem.api.reload-on-update=true", "spring.ssl.bundle.watch.file.quiet-period=100ms" })
@ActiveProfiles("simulator")
@Import(PassedOnProbe.class)
class ApiTlsIntegrationTests {

	static final Path TLS = createDirectory();

	/** The certificate the files hold now. */
	static final AtomicReference<X509Certificate> CURRENT = new AtomicReference<>(write());

	@DynamicPropertySource
	static void tlsFiles(DynamicPropertyRegistry registry) {
		registry.add("spring.ssl.bundle.pem.api.keystore.certificate", () -> "file:" + TLS.resolve("tls.crt"));
		registry.add("spring.ssl.bundle.pem.api.keystore.private-key", () -> "file:" + TLS.resolve("tls.key"));
	}

	@LocalServerPort
	int port;

	@Autowired
	PassedOnProbe passedOn;

	@LocalManagementPort
	int managementPort;

	private static Path createDirectory() {
		try {
			return Files.createTempDirectory("token-broker-tls");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static X509Certificate write() {
		try {
			return ServerCertificates.write(TLS);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A new client, hence a new connection, that trusts this one certificate and nothing
	 * else.
	 */
	private static HttpClient trusting(X509Certificate certificate) throws Exception {
		KeyStore trust = KeyStore.getInstance("PKCS12");
		trust.load(null, null);
		trust.setCertificateEntry("api", certificate);
		TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		factory.init(trust);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, factory.getTrustManagers(), null);
		return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
	}

	private HttpResponse<String> send(HttpClient client, String method, String path, String bearer) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + this.port + path))
			.timeout(Duration.ofSeconds(20))
			.method(method, HttpRequest.BodyPublishers.noBody());
		if (bearer != null) {
			request.header("Authorization", "Bearer " + bearer);
		}
		return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private String caller(HttpClient client) throws Exception {
		HttpResponse<String> response = send(client, "POST", "/simulator/caller-tokens?subject=demo-app", null);
		assertThat(response.statusCode()).isEqualTo(200);
		return JsonMapper.shared().readTree(response.body()).get("accessToken").stringValue();
	}

	@Test
	void aClientTrustingOnlyTheBundlesCertificateGetsATokenFromBothPathsWithHsts() throws Exception {
		HttpClient client = trusting(CURRENT.get());
		String caller = caller(client);

		int before = this.passedOn.get();
		HttpResponse<String> full = send(client, "GET", "/tokens/fraud-scoring", caller);
		int afterFull = this.passedOn.get();
		HttpResponse<String> fast = send(client, "GET", "/tokens/fraud-scoring", caller);

		assertThat(afterFull - before).as("a caller token never seen goes down the full chain").isEqualTo(1);
		assertThat(this.passedOn.get()).as("the same request again is answered by the fast path").isEqualTo(afterFull);
		assertThat(full.statusCode()).isEqualTo(200);
		assertThat(fast.statusCode()).isEqualTo(200);
		assertThat(fast.body()).isEqualTo(full.body());
		JsonNode body = JsonMapper.shared().readTree(full.body());
		assertThat(body.get("service").stringValue()).isEqualTo("fraud-scoring");
		assertThat(full.headers().firstValue("Strict-Transport-Security")).as("HSTS over TLS").isPresent();
		assertThat(fast.headers().firstValue("Strict-Transport-Security"))
			.isEqualTo(full.headers().firstValue("Strict-Transport-Security"));
		assertThat(fast.headers().map().keySet()).isEqualTo(full.headers().map().keySet());
	}

	@Test
	void theApiPortSpeaksOnlyTlsAndTheManagementPortStaysPlainHttp() throws Exception {
		Integer plain;
		try {
			plain = new Http(this.port).get("/tokens", null).status();
		}
		catch (IllegalStateException ex) {
			plain = null;
		}
		assertThat(plain).as("no answer to plain HTTP on the API port").isNotIn(200, 401);

		Http.Response readiness = new Http(this.managementPort).get("/actuator/health/liveness", null);

		assertThat(readiness.status()).isEqualTo(200);
		assertThat(readiness.header("Strict-Transport-Security")).isNull();
	}

	@Test
	void afterTheCertificateFilesAreReplacedNewConnectionsSeeTheNewCertificate() throws Exception {
		X509Certificate old = CURRENT.get();
		String caller = caller(trusting(old));

		X509Certificate renewed = write();
		CURRENT.set(renewed);

		HttpResponse<String> response = await().atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(100))
			.ignoreException(SSLHandshakeException.class)
			.until(() -> send(trusting(renewed), "GET", "/tokens/fraud-scoring", caller), (answer) -> answer != null);

		assertThat(response.statusCode()).isEqualTo(200);
		HttpClient trustingOld = trusting(old);
		assertThat(catchThrowable(() -> send(trustingOld, "GET", "/tokens/fraud-scoring", caller)))
			.as("a new connection no longer sees the old certificate")
			.isInstanceOf(SSLHandshakeException.class);
	}

}
