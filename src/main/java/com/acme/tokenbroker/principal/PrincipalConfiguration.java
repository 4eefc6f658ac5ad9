package com.acme.tokenbroker.principal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.system.OutboundProperties;
import com.acme.tokenbroker.system.OutboundTls;
import com.acme.tokenbroker.system.StartTask;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.AadCredentialBuilderBase;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Builds the broker's own Entra ID credentials ({@link Identities}) from
 * {@link IdentityProperties} and {@link IdentitiesProperties}, on the JDK HTTP client
 * (not Netty) with the broker's outbound trust and proxy.
 */
@Configuration(proxyBeanMethods = false)
class PrincipalConfiguration {

	/** azure-identity's variable for the Entra authority. */
	static final String AZURE_AUTHORITY_HOST = "AZURE_AUTHORITY_HOST";

	/**
	 * The broker's sign-in to Entra ID, made at start rather than by the first caller.
	 */
	@Bean
	StartTask signIn(Identities identities) {
		return StartTask.of("the broker's sign-in to Entra ID", identities::signIn);
	}

	/**
	 * The broker's identities: {@code broker.identity} as {@code default} (needed when a
	 * service uses it, or when no other identity is configured) and each of
	 * {@code broker.identities}. Every service must name a configured one.
	 */
	@Bean
	Identities identities(IdentityProperties identity, IdentitiesProperties others, ServiceCatalog catalog,
			OutboundTls tls, OutboundProperties outbound, CircuitBreakers breakers, Clock clock,
			Environment environment) {
		Set<String> used = new LinkedHashSet<>();
		catalog.services().forEach((service) -> used.add(service.identity()));
		Map<String, IdentityProperties> configured = new LinkedHashMap<>();
		if (identity.mode() != null || used.contains(ServiceDescriptor.DEFAULT_IDENTITY)
				|| others.identities().isEmpty()) {
			configured.put(ServiceDescriptor.DEFAULT_IDENTITY, identity);
		}
		others.identities().forEach((alias, properties) -> {
			String prefix = "broker.identities." + alias;
			if (ServiceDescriptor.DEFAULT_IDENTITY.equals(alias)) {
				throw new InvalidConfigurationException(prefix, "'default' is broker.identity: choose another alias");
			}
			if (!ServiceCatalog.IDENTITY_ALIAS.matcher(alias).matches()) {
				throw new InvalidConfigurationException(prefix,
						"identity aliases are 1 to 32 lower-case letters, digits or '-'");
			}
			configured.put(alias, properties.inheriting(identity));
		});
		// azure-identity would read AZURE_AUTHORITY_HOST itself; it is read here so that
		// it wins over the cloud's authority only when it is that cloud's
		String environmentAuthority = environment.getProperty(AZURE_AUTHORITY_HOST);
		configured.replaceAll(
				(alias, properties) -> properties.inCloud(prefix(alias), catalog.cloud(), environmentAuthority));
		for (ServiceDescriptor service : catalog.services()) {
			if (!configured.containsKey(service.identity())) {
				throw catalog.invalid(service, ".identity",
						"no identity named '" + service.identity() + "' under broker.identities");
			}
		}
		// Configuration.NONE: azure-core would otherwise route by HTTPS_PROXY (and Java's
		// proxy properties) itself, over the broker's proxy and differently from the
		// Azure ML client; the builder already carries the broker's OutboundProxy
		HttpClient httpClient = ProxyAuthorizingAzureHttpClient
			.of(new JdkHttpClientBuilder(tls.httpClientBuilder(outbound.connectTimeout()))
				.configuration(com.azure.core.util.Configuration.NONE)
				.build(), tls.proxy());
		CircuitBreaker entra = breakers.forEntra(EntraPrincipalCredential::isOperatorError);
		Map<String, Identities.Identity> built = new LinkedHashMap<>();
		configured.forEach((alias, properties) -> {
			String prefix = prefix(alias);
			// Built once here so a bad setting stops the boot; every sign-in then builds
			// anew (FreshCredential), so no azure-identity cache answers for Entra ID
			credentialSupplier(prefix, properties, httpClient);
			Supplier<TokenCredential> credential = () -> new FreshCredential(
					() -> credentialSupplier(prefix, properties, httpClient).get(), clock, Clock.systemUTC());
			PrincipalCredential principal = new EntraPrincipalCredential(credential, properties.scope(),
					properties.refreshMargin(), entra, clock);
			DataPlaneCredential dataPlane = new DataPlaneCredential(new EntraPrincipalCredential(credential,
					properties.dataPlaneScope(), properties.refreshMargin(), entra, clock));
			built.put(alias, new Identities.Identity(principal, dataPlane));
		});
		return new Identities(built);
	}

	private static String prefix(String alias) {
		return ServiceDescriptor.DEFAULT_IDENTITY.equals(alias) ? "broker.identity" : "broker.identities." + alias;
	}

	static Supplier<TokenCredential> credentialSupplier(IdentityProperties identity, HttpClient httpClient) {
		return credentialSupplier("broker.identity", identity, httpClient);
	}

	static Supplier<TokenCredential> credentialSupplier(String prefix, IdentityProperties identity,
			HttpClient httpClient) {
		if (identity.mode() == null) {
			throw new InvalidConfigurationException(prefix + ".mode",
					"is required: client-secret, client-certificate, workload-identity or managed-identity");
		}
		if (!StringUtils.hasText(identity.scope()) || !identity.scope().endsWith("/.default")) {
			throw new InvalidConfigurationException(prefix + ".scope", "must end with /.default");
		}
		switch (identity.mode()) {
			case CLIENT_SECRET -> {
				requireText(prefix + ".tenant-id", identity.tenantId());
				requireText(prefix + ".client-id", identity.clientId());
				if (identity.clientSecretFile() != null) {
					return new SecretFileCredential(prefix, identity, httpClient);
				}
				requireText(prefix + ".client-secret", identity.clientSecret());
				TokenCredential built = common(prefix, new ClientSecretCredentialBuilder(), identity, httpClient)
					.clientSecret(identity.clientSecret())
					.build();
				return () -> built;
			}
			case CLIENT_CERTIFICATE -> {
				requireText(prefix + ".tenant-id", identity.tenantId());
				requireText(prefix + ".client-id", identity.clientId());
				Path certificate = identity.certificatePath();
				if (certificate == null || !Files.isReadable(certificate)) {
					throw new InvalidConfigurationException(prefix + ".certificate-path",
							"must name a readable PEM or PFX file");
				}
				ClientCertificateCredentialBuilder builder = common(prefix, new ClientCertificateCredentialBuilder(),
						identity, httpClient)
					.sendCertificateChain(identity.sendCertificateChain());
				String name = certificate.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
				if (name.endsWith(".pfx") || name.endsWith(".p12")) {
					builder.pfxCertificate(certificate.toString())
						.clientCertificatePassword(identity.certificatePassword());
				}
				else {
					builder.pemCertificate(certificate.toString());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			case WORKLOAD_IDENTITY -> {
				WorkloadIdentityCredentialBuilder builder = common(prefix, new WorkloadIdentityCredentialBuilder(),
						identity, httpClient);
				if (identity.tokenFile() != null) {
					builder.tokenFilePath(identity.tokenFile().toString());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			case MANAGED_IDENTITY -> {
				ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder()
					.httpClient(httpClient);
				if (StringUtils.hasText(identity.clientId())) {
					builder.clientId(identity.clientId());
				}
				TokenCredential built = builder.build();
				return () -> built;
			}
			default -> throw new IllegalStateException("Unknown mode " + identity.mode());
		}
	}

	private static <T extends AadCredentialBuilderBase<T>> T common(String prefix, T builder,
			IdentityProperties identity, HttpClient httpClient) {
		builder.httpClient(httpClient);
		if (StringUtils.hasText(identity.tenantId())) {
			builder.tenantId(identity.tenantId());
		}
		if (StringUtils.hasText(identity.clientId())) {
			builder.clientId(identity.clientId());
		}
		if (identity.authorityHost() != null) {
			if (!"https".equalsIgnoreCase(identity.authorityHost().getScheme())) {
				throw new InvalidConfigurationException(prefix + ".authority-host", "must be an https URL");
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
			throw new InvalidConfigurationException(property, "is required for this identity mode");
		}
	}

	/**
	 * An azure-identity credential built anew for each sign-in, so MSAL's own token cache
	 * never answers: the broker's credentials keep tokens themselves and sign in when
	 * their schedule says so (a data-plane token at half-life, which MSAL would answer
	 * from its cache until five minutes before expiry). MSAL measures a token's times on
	 * the system clock; they are read here as durations and placed on the broker's clock,
	 * which is the same clock in production and the virtual one in tests.
	 */
	static final class FreshCredential implements TokenCredential {

		private final Supplier<TokenCredential> build;

		private final Clock clock;

		private final Clock msalClock;

		FreshCredential(Supplier<TokenCredential> build, Clock clock, Clock msalClock) {
			this.build = build;
			this.clock = clock;
			this.msalClock = msalClock;
		}

		@Override
		public reactor.core.publisher.Mono<AccessToken> getToken(TokenRequestContext request) {
			return reactor.core.publisher.Mono.fromCallable(() -> getTokenSync(request));
		}

		@Override
		public AccessToken getTokenSync(TokenRequestContext request) {
			AccessToken token = this.build.get().getTokenSync(request);
			if (token == null || token.getExpiresAt() == null) {
				return token;
			}
			Instant msalNow = this.msalClock.instant();
			Instant now = this.clock.instant();
			OffsetDateTime expiresAt = rebase(token.getExpiresAt(), msalNow, now);
			OffsetDateTime refreshAt = (token.getRefreshAt() != null
					&& token.getRefreshAt().toInstant().isAfter(msalNow)) ? rebase(token.getRefreshAt(), msalNow, now)
							: null;
			return new AccessToken(token.getToken(), expiresAt, refreshAt, token.getTokenType());
		}

		private static OffsetDateTime rebase(OffsetDateTime at, Instant msalNow, Instant now) {
			return OffsetDateTime.ofInstant(now.plus(Duration.between(msalNow, at.toInstant())), ZoneOffset.UTC);
		}

	}

	/**
	 * A client-secret credential whose secret lives in a file (a mounted Kubernetes
	 * Secret): the file is re-read at every sign-in and the credential rebuilt when its
	 * content changes, so rotating the secret needs no restart.
	 */
	static final class SecretFileCredential implements Supplier<TokenCredential> {

		private final String prefix;

		private final IdentityProperties identity;

		private final HttpClient httpClient;

		/**
		 * A SHA-256 of the secret in use, to notice a rotated file without keeping a
		 * copy.
		 */
		private byte[] secretDigest;

		private TokenCredential credential;

		SecretFileCredential(String prefix, IdentityProperties identity, HttpClient httpClient) {
			this.prefix = prefix;
			this.identity = identity;
			this.httpClient = httpClient;
			if (!Files.isReadable(identity.clientSecretFile())) {
				throw new InvalidConfigurationException(prefix + ".client-secret-file", "must name a readable file");
			}
		}

		@Override
		public synchronized TokenCredential get() {
			String secret;
			try {
				secret = Files.readString(this.identity.clientSecretFile(), StandardCharsets.UTF_8).strip();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot read " + this.prefix + ".client-secret-file", ex);
			}
			byte[] digest = sha256(secret);
			if (this.credential == null || !MessageDigest.isEqual(digest, this.secretDigest)) {
				this.credential = common(this.prefix, new ClientSecretCredentialBuilder(), this.identity,
						this.httpClient)
					.clientSecret(secret)
					.build();
				this.secretDigest = digest;
			}
			return this.credential;
		}

		private static byte[] sha256(String secret) {
			try {
				return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("SHA-256 is required of every Java runtime", ex);
			}
		}

	}

}
