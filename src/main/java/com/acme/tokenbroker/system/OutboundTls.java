package com.acme.tokenbroker.system;

import java.net.http.HttpClient;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.springframework.boot.ssl.SslBundles;
import org.springframework.util.StringUtils;

/**
 * Trust for every outbound HTTPS call (Entra ID, model management, ARM, caller JWKS): the
 * JVM's default trust store, or a Spring Boot SSL bundle named by
 * {@code broker.upstream.ssl-bundle} (a private CA, a TLS-inspecting proxy, or the
 * embedded simulated workspace).
 */
public final class OutboundTls {

	private final SSLContext sslContext;

	private final String bundleName;

	private OutboundTls(SSLContext sslContext, String bundleName) {
		this.sslContext = sslContext;
		this.bundleName = bundleName;
	}

	public static OutboundTls from(SslBundles bundles, String bundleName) {
		if (!StringUtils.hasText(bundleName)) {
			try {
				return new OutboundTls(SSLContext.getDefault(), null);
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("No default TLS context", ex);
			}
		}
		return new OutboundTls(bundles.getBundle(bundleName).createSslContext(), bundleName);
	}

	public SSLContext sslContext() {
		return this.sslContext;
	}

	/**
	 * A JDK HTTP client builder with this trust and the given connect timeout. HTTP/1.1
	 * only: Azure endpoints speak it everywhere and it keeps connection behaviour
	 * predictable for timeouts.
	 * @param connectTimeout the connect timeout
	 * @return a new builder
	 */
	public HttpClient.Builder httpClientBuilder(Duration connectTimeout) {
		return HttpClient.newBuilder()
			.sslContext(this.sslContext)
			.connectTimeout(connectTimeout)
			.version(HttpClient.Version.HTTP_1_1)
			.followRedirects(HttpClient.Redirect.NEVER);
	}

	@Override
	public String toString() {
		return (this.bundleName != null) ? "ssl-bundle '" + this.bundleName + "'" : "JVM default trust";
	}

}
