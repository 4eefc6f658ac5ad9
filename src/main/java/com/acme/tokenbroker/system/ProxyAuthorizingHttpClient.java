package com.acme.tokenbroker.system;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK HTTP client that adds the outbound proxy's {@code Proxy-Authorization} to each
 * call that goes through the proxy ({@link OutboundProxy#proxyAuthorization}), and
 * otherwise is the client it wraps.
 */
final class ProxyAuthorizingHttpClient extends HttpClient {

	private static final String PROXY_AUTHORIZATION = "Proxy-Authorization";

	private final HttpClient delegate;

	private final OutboundProxy proxy;

	ProxyAuthorizingHttpClient(HttpClient delegate, OutboundProxy proxy) {
		this.delegate = delegate;
		this.proxy = proxy;
	}

	private HttpRequest authorized(HttpRequest request) {
		String authorization = this.proxy.proxyAuthorization(request.uri());
		if (authorization == null) {
			return request;
		}
		return HttpRequest.newBuilder(request, (name, value) -> !PROXY_AUTHORIZATION.equalsIgnoreCase(name))
			.header(PROXY_AUTHORIZATION, authorization)
			.build();
	}

	@Override
	public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
			throws IOException, InterruptedException {
		return this.delegate.send(authorized(request), handler);
	}

	@Override
	public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
		return this.delegate.sendAsync(authorized(request), handler);
	}

	@Override
	public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
			HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
		return this.delegate.sendAsync(authorized(request), handler, pushPromiseHandler);
	}

	@Override
	public Optional<CookieHandler> cookieHandler() {
		return this.delegate.cookieHandler();
	}

	@Override
	public Optional<Duration> connectTimeout() {
		return this.delegate.connectTimeout();
	}

	@Override
	public Redirect followRedirects() {
		return this.delegate.followRedirects();
	}

	@Override
	public Optional<ProxySelector> proxy() {
		return this.delegate.proxy();
	}

	@Override
	public SSLContext sslContext() {
		return this.delegate.sslContext();
	}

	@Override
	public SSLParameters sslParameters() {
		return this.delegate.sslParameters();
	}

	@Override
	public Optional<Authenticator> authenticator() {
		return this.delegate.authenticator();
	}

	@Override
	public Version version() {
		return this.delegate.version();
	}

	@Override
	public Optional<Executor> executor() {
		return this.delegate.executor();
	}

	@Override
	public String toString() {
		return this.delegate.toString();
	}

}
