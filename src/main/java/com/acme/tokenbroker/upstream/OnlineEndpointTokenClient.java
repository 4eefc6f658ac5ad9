package com.acme.tokenbroker.upstream;

import java.net.URI;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;

import org.springframework.web.util.UriComponentsBuilder;

/**
 * Azure ML v2 managed online endpoints: {@code POST {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name}/token?api-version=...}, answered with
 * {@code 200} and an {@code EndpointAuthToken}: {@code accessToken}, {@code tokenType}, {@code refreshAfterTimeUtc},
 * {@code expiryTimeUtc} in epoch seconds.
 */
final class OnlineEndpointTokenClient implements UpstreamTokenClient {

	private final UpstreamHttp http;

	private final TokenResponseReader reader;

	OnlineEndpointTokenClient(UpstreamHttp http, TokenResponseReader reader) {
		this.http = http;
		this.reader = reader;
	}

	@Override
	public UpstreamToken fetch(ServiceDescriptor service) {
		String what = "token for online endpoint '" + service.name() + "'";
		return this.reader.read(this.http.post(tokenUri(service), what), "refreshAfterTimeUtc", "expiryTimeUtc", what);
	}

	static URI tokenUri(ServiceDescriptor service) {
		WorkspaceDescriptor workspace = service.workspace();
		return UriComponentsBuilder.fromUri(workspace.armHost())
			.path("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"
					+ "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/onlineEndpoints/{endpoint}/token")
			.queryParam("api-version", workspace.armApiVersion())
			.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
					service.upstreamName())
			.encode()
			.toUri();
	}

}
