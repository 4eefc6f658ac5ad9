package com.acme.tokenbroker.system;

import java.net.http.HttpClient;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.springframework.boot.ssl.SslBundles;
import org.springframework.util.StringUtils;

/**
 * Trust and route for every outbound HTTPS call (Entra ID, model management, ARM, caller
 * JWKS): the JVM's default trust store, or a Spring Boot SSL bundle named by
 * {@code broker.upstream.ssl-bundle} (a private CA, a TLS-inspecting proxy, or the
 * embedded simulated workspace), and the {@link OutboundProxy}, so every client the
 * broker builds goes the same way.
 */
public final class OutboundTls {

	private final SSLContext sslContext;

	private final String bundleName;

	private final OutboundProxy proxy;

	private OutboundTls(SSLContext sslContext, String bundleName, OutboundProxy proxy) {
		this.sslContext = sslContext;
		this.bundleName = bundleName;
		this.proxy = proxy;
	}

	public static OutboundTls from(SslBundles bundles, String bundleName) {
		return from(bundles, bundleName, OutboundProxy.DIRECT);
	}

	public static OutboundTls from(SslBundles bundles, String bundleName, OutboundProxy proxy) {
		if (!StringUtils.hasText(bundleName)) {
			try {
				return new OutboundTls(SSLContext.getDefault(), null, proxy);
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("No default TLS context", ex);
			}
		}
		return new OutboundTls(bundles.getBundle(bundleName).createSslContext(), bundleName, proxy);
	}

	public SSLContext sslContext() {
		return this.sslContext;
	}

	public OutboundProxy proxy() {
		return this.proxy;
	}

	/**
	 * A JDK HTTP client builder with this trust, the outbound proxy and the given connect
	 * timeout. HTTP/1.1 only: Azure endpoints speak it everywhere and it keeps connection
	 * behaviour predictable for timeouts.
	 * @param connectTimeout the connect timeout
	 * @return a new builder
	 */
	public HttpClient.Builder httpClientBuilder(Duration connectTimeout) {
		HttpClient.Builder builder = HttpClient.newBuilder()
			.sslContext(this.sslContext)
			.connectTimeout(connectTimeout)
			.version(HttpClient.Version.HTTP_1_1)
			.followRedirects(HttpClient.Redirect.NEVER);
		return this.proxy.applyTo(builder);
	}

	/**
	 * A JDK HTTP client of {@link #httpClientBuilder}, sending the proxy's credentials
	 * where it has some.
	 * @param connectTimeout the connect timeout
	 * @return a new client
	 */
	public HttpClient httpClient(Duration connectTimeout) {
		return this.proxy.authorizing(httpClientBuilder(connectTimeout).build());
	}

	@Override
	public String toString() {
		return ((this.bundleName != null) ? "ssl-bundle '" + this.bundleName + "'" : "JVM default trust") + ", "
				+ this.proxy;
	}

}
