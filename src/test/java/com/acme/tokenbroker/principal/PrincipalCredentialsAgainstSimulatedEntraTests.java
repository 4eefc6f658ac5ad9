package com.acme.tokenbroker.principal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import com.acme.tokenbroker.simulator.ClientCertificates;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Each identity mode built by {@link PrincipalConfiguration} signs in to the simulated
 * Entra ID over HTTPS.
 */
class PrincipalCredentialsAgainstSimulatedEntraTests {

	@TempDir
	Path directory;

	private SimulatedWorkspace simulator;

	private ClientCertificates.Written certificate;

	private HttpClient httpClient;

	@BeforeEach
	void start() throws IOException {
		this.certificate = ClientCertificates.write("broker-cert", this.directory);
		this.simulator = SimulatedWorkspace.builder()
			.observer(new SecretLedger())
			.workspace("ws", "sub-1", "rg-1", "westeurope")
			.clientSecretPrincipal("broker-secret", "first-secret-value-0123456789")
			.certificatePrincipal("broker-cert", this.certificate.certificate())
			.start();
		this.httpClient = new JdkHttpClientBuilder(
				java.net.http.HttpClient.newBuilder().sslContext(this.simulator.clientSslContext()))
			.build();
	}

	@AfterEach
	void stop() {
		this.simulator.close();
	}

	private IdentityProperties identity(IdentityProperties.Mode mode, String clientId, String secret, Path secretFile,
			Path certificatePath) {
		return new IdentityProperties(mode, this.simulator.tenantId(), clientId, secret, secretFile, certificatePath,
				null, false, null, URI.create(this.simulator.authorityHost().toString()), true,
				"https://management.azure.com/.default", Duration.ofMinutes(5), "https://ml.azure.com/.default");
	}

	private String signIn(IdentityProperties identity) {
		return new EntraPrincipalCredential(PrincipalConfiguration.credentialSupplier(identity, this.httpClient),
				identity.scope(), identity.refreshMargin(),
				io.github.resilience4j.circuitbreaker.CircuitBreaker.ofDefaults("entra"), Clock.systemUTC())
			.bearerToken();
	}

	@Test
	void clientCertificateModeSignsInWithASignedAssertion() {
		String token = signIn(identity(IdentityProperties.Mode.CLIENT_CERTIFICATE, "broker-cert", null, null,
				this.certificate.pemFile()));

		assertThat(token).isNotBlank();
		assertThat(this.simulator.entraCallCount(Operation.ENTRA_TOKEN)).isEqualTo(1);
	}

	@Test
	void clientSecretFileIsReReadSoARotatedSecretNeedsNoRestart() throws IOException {
		SecretLedger.record("second-secret-value-0123456789");
		Path secretFile = this.directory.resolve("client-secret");
		Files.writeString(secretFile, "first-secret-value-0123456789\n");
		var supplier = PrincipalConfiguration.credentialSupplier(
				identity(IdentityProperties.Mode.CLIENT_SECRET, "broker-secret", null, secretFile, null),
				this.httpClient);
		var first = supplier.get();

		Files.writeString(secretFile, "second-secret-value-0123456789");
		var second = supplier.get();

		assertThat(second).isNotSameAs(first);
		assertThat(supplier.get()).isSameAs(second);
	}

	/**
	 * A rotated secret was noticed by a 32-bit hash of the file's content: two secrets
	 * with the same {@code String.hashCode} ("Aa…" and "BB…" with the same rest) left the
	 * old one in use, until Entra refused it.
	 */
	@Test
	void clientSecretFileRotationIsSeenWhenBothSecretsHashAlike() throws IOException {
		String before = "Aa-rotated-secret-value-0123456789";
		String after = "BB-rotated-secret-value-0123456789";
		SecretLedger.record(before);
		SecretLedger.record(after);
		assertThat(after.hashCode()).isEqualTo(before.hashCode());
		Path secretFile = this.directory.resolve("client-secret");
		Files.writeString(secretFile, before);
		var supplier = PrincipalConfiguration.credentialSupplier(
				identity(IdentityProperties.Mode.CLIENT_SECRET, "broker-secret", null, secretFile, null),
				this.httpClient);
		var first = supplier.get();

		Files.writeString(secretFile, after);

		assertThat(supplier.get()).isNotSameAs(first);
	}

	@Test
	void wrongClientSecretIsPrincipalUnavailableWithoutTheSecretInTheMessage() {
		SecretLedger.record("wrong-secret-value-9876543210");
		IdentityProperties identity = identity(IdentityProperties.Mode.CLIENT_SECRET, "broker-secret",
				"wrong-secret-value-9876543210", null, null);

		assertThatExceptionOfType(PrincipalUnavailableException.class).isThrownBy(() -> signIn(identity))
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("wrong-secret-value"))
			.satisfies((ex) -> assertThat(EntraPrincipalCredential.isOperatorError(ex))
				.as("Entra's 400 invalid_client is an operator error, not an outage")
				.isTrue());
	}

	@Test
	void missingModeOrSecretStopsTheBootNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(
				() -> PrincipalConfiguration.credentialSupplier(identity(null, "x", null, null, null), this.httpClient))
			.withMessageStartingWith("broker.identity.mode");
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> PrincipalConfiguration.credentialSupplier(
					identity(IdentityProperties.Mode.CLIENT_SECRET, "x", null, null, null), this.httpClient))
			.withMessageStartingWith("broker.identity.client-secret");
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(
					() -> PrincipalConfiguration.credentialSupplier(identity(IdentityProperties.Mode.CLIENT_CERTIFICATE,
							"x", null, null, this.directory.resolve("none.pem")), this.httpClient))
			.withMessageStartingWith("broker.identity.certificate-path");
	}

	@Test
	void identityPropertiesNeverPrintSecrets() {
		IdentityProperties identity = identity(IdentityProperties.Mode.CLIENT_SECRET, "broker-secret",
				"printed-secret-value-000", null, null);

		assertThat(identity.toString()).doesNotContain("printed-secret-value-000").contains("<redacted>");
	}

}
