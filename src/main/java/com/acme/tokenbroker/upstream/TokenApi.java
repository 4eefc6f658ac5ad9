package com.acme.tokenbroker.upstream;

import java.net.URI;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;

import org.springframework.web.util.UriComponentsBuilder;

/**
 * The two Azure ML token APIs: where to {@code POST} and how the answer names its times (epoch seconds both).
 */
enum TokenApi {

	/**
	 * v1 web services, model management: {@code POST {mms}/modelmanagement/v1.0/subscriptions/{sub}/resourceGroups/
	 * {rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/services/{name}/token}, answered 201 (or 200)
	 * with an {@code AuthToken}.
	 */
	WEBSERVICE("refreshAfter", "expiryOn", "service") {

		@Override
		URI uri(ServiceDescriptor service) {
			WorkspaceDescriptor workspace = service.workspace();
			return UriComponentsBuilder.fromUri(workspace.mmsHost())
				.path("/modelmanagement/v1.0" + ARM_PATH + "/services/{service}/token")
				.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
						service.upstreamName())
				.encode()
				.toUri();
		}

	},

	/**
	 * v2 managed online endpoints, ARM: {@code POST {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/
	 * Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name}/token?api-version=...}, answered 200
	 * with an {@code EndpointAuthToken}.
	 */
	ONLINE_ENDPOINT("refreshAfterTimeUtc", "expiryTimeUtc", "online endpoint") {

		@Override
		URI uri(ServiceDescriptor service) {
			WorkspaceDescriptor workspace = service.workspace();
			return UriComponentsBuilder.fromUri(workspace.armHost())
				.path(ARM_PATH + "/onlineEndpoints/{endpoint}/token")
				.queryParam("api-version", workspace.armApiVersion())
				.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
						service.upstreamName())
				.encode()
				.toUri();
		}

	};

	private static final String ARM_PATH = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"
			+ "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}";

	private final String refreshField;

	private final String expiryField;

	private final String noun;

	TokenApi(String refreshField, String expiryField, String noun) {
		this.refreshField = refreshField;
		this.expiryField = expiryField;
		this.noun = noun;
	}

	abstract URI uri(ServiceDescriptor service);

	String refreshField() {
		return this.refreshField;
	}

	String expiryField() {
		return this.expiryField;
	}

	/** @return how messages name the request, e.g. {@code token for online endpoint 'churn'} */
	String describe(ServiceDescriptor service) {
		return "token for " + this.noun + " '" + service.name() + "'";
	}

	static TokenApi of(ServiceKind kind) {
		return switch (kind) {
			case WEBSERVICE -> WEBSERVICE;
			case ONLINE_ENDPOINT -> ONLINE_ENDPOINT;
		};
	}

}
