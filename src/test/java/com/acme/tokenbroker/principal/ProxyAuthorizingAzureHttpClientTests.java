package com.acme.tokenbroker.principal;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.system.OutboundProperties;
import com.acme.tokenbroker.system.OutboundProxy;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Entra client's {@code Proxy-Authorization}: on each call through the proxy, and on
 * no other, even when azure-core sends a request again to another host (a redirect or a
 * retry reuses the request and its headers).
 */
class ProxyAuthorizingAzureHttpClientTests {

	private static final HttpHeaderName PROXY_AUTHORIZATION = HttpHeaderName.fromString("Proxy-Authorization");

	private final OutboundProxy proxy = OutboundProxy.from(new OutboundProperties.Proxy(null, null, null, null),
			Map.of("HTTPS_PROXY", "http://broker:s3cret@127.0.0.1:3128", "NO_PROXY", "direct.example")::get);

	private final List<String> sent = new ArrayList<>();

	private final HttpClient client = ProxyAuthorizingAzureHttpClient.of((request) -> {
		this.sent.add(request.getHeaders().getValue(PROXY_AUTHORIZATION));
		return Mono.empty();
	}, this.proxy);

	@Test
	void aRequestSentAgainToADirectHostLosesTheProxyAuthorization() throws Exception {
		HttpRequest request = new HttpRequest(HttpMethod.POST, "https://login.example/tenant/oauth2/v2.0/token");
		this.client.send(request).block();
		request.setUrl(URI.create("https://login.direct.example/tenant/oauth2/v2.0/token").toURL());
		this.client.send(request).block();

		assertThat(this.sent.get(0)).as("through the proxy").startsWith("Basic ");
		assertThat(this.sent.get(1)).as("to a host reached directly").isNull();
	}

	@Test
	void aCopiedRequestToADirectHostLosesTheProxyAuthorization() throws Exception {
		HttpRequest request = new HttpRequest(HttpMethod.GET, "https://login.example/common/discovery");
		this.client.send(request).block();
		HttpRequest redirected = request.copy().setUrl("https://sts.direct.example/common/discovery");
		this.client.send(redirected).block();

		assertThat(this.sent.get(1)).isNull();
	}

}
