package com.acme.tokenbroker.upstream;

import java.net.URI;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;

import org.springframework.web.util.UriComponentsBuilder;

/**
 * Azure ML v1 web services: {@code POST {mms}/modelmanagement/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.MachineLearningServices/workspaces/{ws}/services/{name}/token}, answered with {@code 201} (or 200) and an
 * {@code AuthToken}: {@code accessToken}, {@code tokenType}, {@code refreshAfter}, {@code expiryOn} in epoch seconds.
 */
final class MmsTokenClient implements UpstreamTokenClient {

	private final UpstreamHttp http;

	private final TokenResponseReader reader;

	MmsTokenClient(UpstreamHttp http, TokenResponseReader reader) {
		this.http = http;
		this.reader = reader;
	}

	@Override
	public UpstreamToken fetch(ServiceDescriptor service) {
		String what = "token for service '" + service.name() + "'";
		return this.reader.read(this.http.post(tokenUri(service), what), "refreshAfter", "expiryOn", what);
	}

	static URI tokenUri(ServiceDescriptor service) {
		WorkspaceDescriptor workspace = service.workspace();
		return UriComponentsBuilder.fromUri(workspace.mmsHost())
			.path("/modelmanagement/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"
					+ "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/services/{service}/token")
			.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
					service.upstreamName())
			.encode()
			.toUri();
	}

}
