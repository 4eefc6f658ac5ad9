package com.acme.tokenbroker.principal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;

import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.OutboundTls;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.AadCredentialBuilderBase;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

/**
 * Builds the broker's own Entra ID credential from {@link IdentityProperties}, on the JDK HTTP client (not Netty)
 * with the broker's outbound trust.
 */
@Configuration(proxyBeanMethods = false)
class PrincipalConfiguration {

	@Bean
	PrincipalCredential principalCredential(IdentityProperties identity, OutboundTls tls, UpstreamProperties upstream,
			CircuitBreakers breakers, Clock clock) {
		HttpClient httpClient = new JdkHttpClientBuilder(tls.httpClientBuilder(upstream.connectTimeout())).build();
		Supplier<TokenCredential> credential = credentialSupplier(identity, httpClient);
		return new EntraPrincipalCredential(credential, identity.scope(), identity.refreshMargin(), breakers.forEntra(),
				clock);
	}

	@Bean
	DataPlaneCredential dataPlaneCredential(IdentityProperties identity, OutboundTls tls, UpstreamProperties upstream,
			CircuitBreakers breakers, Clock clock) {
		HttpClient httpClient = new JdkHttpClientBuilder(tls.httpClientBuilder(upstream.connectTimeout())).build();
		return new DataPlaneCredential(new EntraPrincipalCredential(credentialSupplier(identity, httpClient),
				identity.dataPlaneScope(),
				identity.refreshMargin(), breakers.forEntra(), clock));
	}

	static Supplier<TokenCredential> credentialSupplier(IdentityProperties identity, HttpClient httpClient) {
		if (identity.mode() == null) {
			throw new InvalidConfigurationException("broker.identity.mode",
					"is required: client-secret, client-certificate, workload-identity or managed-identity");
		}
		if (!StringUtils.hasText(identity.scope()) || !identity.scope().endsWith("/.default")) {
			throw new InvalidConfigurationException("broker.identity.scope", "must end with /.default");
		}
		switch (identity.mode()) {
			case CLIENT_SECRET -> {
				requireText("broker.identity.tenant-id", identity.tenantId());
				requireText("broker.identity.client-id", identity.clientId());
				if (identity.clientSecretFile() != null) {
					return new SecretFileCredential(identity, httpClient);
				}
				requireText("broker.identity.client-secret", identity.clientSecret());
				TokenCredential built = common(new ClientSecretCredentialBuilder(), identity, httpClient)
					.clientSecret(identity.clientSecret())
					.build();
				return () -> built;
			}
			case CLIENT_CERTIFICATE -> {
				requireText("broker.identity.tenant-id", identity.tenantId());
				requireText("broker.identity.client-id", identity.clientId());
				Path certificate = identity.certificatePath();
				if (certificate == null || !Files.isReadable(certificate)) {
					throw new InvalidConfigurationException("broker.identity.certificate-path",
							"must name a readable PEM or PFX file");
				}
				ClientCertificateCredentialBuilder builder = common(new ClientCertificateCredentialBuilder(), identity,
						httpClient)
					.sendCertificateChain(identity.sendCertificateChain());
				String name = certificate.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
				if (name.endsWith(".pfx") || name.endsWith(".p12")) {
					builder.pfxCertificate(certificate.toString()).clientCertificatePassword(identity.certificatePassword());
				}
				else {
					builder.pemCertificate(certificate.toString());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			case WORKLOAD_IDENTITY -> {
				WorkloadIdentityCredentialBuilder builder = common(new WorkloadIdentityCredentialBuilder(), identity,
						httpClient);
				if (identity.tokenFile() != null) {
					builder.tokenFilePath(identity.tokenFile().toString());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			case MANAGED_IDENTITY -> {
				ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder().httpClient(httpClient);
				if (StringUtils.hasText(identity.clientId())) {
					builder.clientId(identity.clientId());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			default -> throw new IllegalStateException("Unknown mode " + identity.mode());
		}
	}

	private static <T extends AadCredentialBuilderBase<T>> T common(T builder, IdentityProperties identity,
			HttpClient httpClient) {
		builder.httpClient(httpClient);
		if (StringUtils.hasText(identity.tenantId())) {
			builder.tenantId(identity.tenantId());
		}
		if (StringUtils.hasText(identity.clientId())) {
			builder.clientId(identity.clientId());
		}
		if (identity.authorityHost() != null) {
			if (!"https".equalsIgnoreCase(identity.authorityHost().getScheme())) {
				throw new InvalidConfigurationException("broker.identity.authority-host", "must be an https URL");
			}
			builder.authorityHost(identity.authorityHost().toString());
		}
		if (identity.disableInstanceDiscovery()) {
			builder.disableInstanceDiscovery();
		}
		return builder;
	}

	private static void requireText(String property, String value) {
		if (!StringUtils.hasText(value)) {
			throw new InvalidConfigurationException(property, "is required for this broker.identity.mode");
		}
	}

	/**
	 * A client-secret credential whose secret lives in a file (a mounted Kubernetes Secret): the file is re-read at
	 * every sign-in and the credential rebuilt when its content changes, so rotating the secret needs no restart.
	 */
	static final class SecretFileCredential implements Supplier<TokenCredential> {

		private final IdentityProperties identity;

		private final HttpClient httpClient;

		private String secretHash;

		private TokenCredential credential;

		SecretFileCredential(IdentityProperties identity, HttpClient httpClient) {
			this.identity = identity;
			this.httpClient = httpClient;
			if (!Files.isReadable(identity.clientSecretFile())) {
				throw new InvalidConfigurationException("broker.identity.client-secret-file", "must name a readable file");
			}
		}

		@Override
		public synchronized TokenCredential get() {
			String secret;
			try {
				secret = Files.readString(this.identity.clientSecretFile(), StandardCharsets.UTF_8).strip();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot read broker.identity.client-secret-file", ex);
			}
			String hash = Integer.toHexString(Objects.hash(secret));
			if (this.credential == null || !hash.equals(this.secretHash)) {
				this.credential = common(new ClientSecretCredentialBuilder(), this.identity, this.httpClient)
					.clientSecret(secret)
					.build();
				this.secretHash = hash;
			}
			return this.credential;
		}

	}

}
