package com.acme.tokenbroker.principal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;

import com.acme.tokenbroker.system.OutboundProxy;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;

/**
 * The azure-core client of the Entra sign-in, adding the outbound proxy's
 * {@code Proxy-Authorization} to each call that goes through the proxy
 * ({@link OutboundProxy#proxyAuthorization}); azure-core's own proxy credentials would
 * install a JDK {@code Authenticator}, which strips {@code Authorization} headers. A 407
 * (the JDK hands a proxy's 407 to a CONNECT back as the response, without a body, which
 * MSAL fails on with a NullPointerException) becomes the JDK's "Tunnel failed" error.
 */
final class ProxyAuthorizingAzureHttpClient implements HttpClient {

	private static final int PROXY_AUTHENTICATION_REQUIRED = 407;

	private static final HttpHeaderName PROXY_AUTHORIZATION = HttpHeaderName.fromString("Proxy-Authorization");

	private final HttpClient delegate;

	private final OutboundProxy proxy;

	private ProxyAuthorizingAzureHttpClient(HttpClient delegate, OutboundProxy proxy) {
		this.delegate = delegate;
		this.proxy = proxy;
	}

	static HttpClient of(HttpClient delegate, OutboundProxy proxy) {
		return proxy.isDirect() ? delegate : new ProxyAuthorizingAzureHttpClient(delegate, proxy);
	}

	private static HttpResponse refused(HttpResponse response) throws IOException {
		if (response.getStatusCode() == PROXY_AUTHENTICATION_REQUIRED) {
			// not closed: the JDK gives the proxy's 407 no body, and closing one fails
			throw new IOException(OutboundProxy.TUNNEL_FAILED + PROXY_AUTHENTICATION_REQUIRED);
		}
		return response;
	}

	private HttpRequest authorized(HttpRequest request) {
		String authorization;
		try {
			authorization = this.proxy.proxyAuthorization(request.getUrl().toURI());
		}
		catch (URISyntaxException ex) {
			authorization = this.proxy.proxyAuthorization(URI.create("https://" + request.getUrl().getHost()));
		}
		if (authorization != null) {
			request.getHeaders().set(PROXY_AUTHORIZATION, authorization);
		}
		else {
			// a request azure-core sends again (a retry, a redirect's copy) keeps the
			// header it got for an earlier destination
			request.getHeaders().remove(PROXY_AUTHORIZATION);
		}
		return request;
	}

	@Override
	public Mono<HttpResponse> send(HttpRequest request) {
		return this.delegate.send(authorized(request)).handle(ProxyAuthorizingAzureHttpClient::sink);
	}

	@Override
	public Mono<HttpResponse> send(HttpRequest request, Context context) {
		return this.delegate.send(authorized(request), context).handle(ProxyAuthorizingAzureHttpClient::sink);
	}

	private static void sink(HttpResponse response, SynchronousSink<HttpResponse> sink) {
		try {
			sink.next(refused(response));
		}
		catch (IOException ex) {
			sink.error(ex);
		}
	}

	@Override
	public HttpResponse sendSync(HttpRequest request, Context context) {
		try {
			return refused(this.delegate.sendSync(authorized(request), context));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
