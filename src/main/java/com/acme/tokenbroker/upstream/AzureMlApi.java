package com.acme.tokenbroker.upstream;

import java.net.URI;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;

import org.springframework.web.util.UriComponentsBuilder;

/**
 * The two Azure ML APIs a service can live behind: where its operations are, and how the
 * answers name their fields.
 * <ul>
 * <li>v1 web services, model management:
 * {@code {mms}/modelmanagement/v1.0/subscriptions/{sub}/resourceGroups/{rg}/
 * providers/Microsoft.MachineLearningServices/workspaces/{ws}/services/{name}}, with
 * {@code /token} (201, {@code AuthToken}), {@code /listkeys}, {@code /regenerateKeys}
 * (202 and {@code Operation-Location});</li>
 * <li>v2 managed online endpoints, ARM:
 * {@code {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name}?api-version=...},
 * with {@code /token} (200, {@code EndpointAuthToken}), {@code /listKeys},
 * {@code /regenerateKeys} (202 and {@code Location}).</li>
 * </ul>
 * Times on the wire are epoch seconds.
 */
enum AzureMlApi {

	WEBSERVICE("refreshAfter", "expiryOn", "service", "listkeys") {

		@Override
		URI uri(ServiceDescriptor service, String action) {
			WorkspaceDescriptor workspace = service.workspace();
			return UriComponentsBuilder.fromUri(workspace.mmsHost())
				.path("/modelmanagement/v1.0" + WORKSPACE_PATH + "/services/{service}"
						+ ((action != null) ? "/" + action : ""))
				.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
						service.upstreamName())
				.encode()
				.toUri();
		}

	},

	ONLINE_ENDPOINT("refreshAfterTimeUtc", "expiryTimeUtc", "online endpoint", "listKeys") {

		@Override
		URI uri(ServiceDescriptor service, String action) {
			WorkspaceDescriptor workspace = service.workspace();
			return UriComponentsBuilder.fromUri(workspace.armHost())
				.path(WORKSPACE_PATH + "/onlineEndpoints/{endpoint}" + ((action != null) ? "/" + action : ""))
				.queryParam("api-version", workspace.armApiVersion())
				.buildAndExpand(workspace.subscriptionId(), workspace.resourceGroup(), workspace.name(),
						service.upstreamName())
				.encode()
				.toUri();
		}

	};

	private static final String WORKSPACE_PATH = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"
			+ "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}";

	private final String refreshField;

	private final String expiryField;

	private final String noun;

	private final String listKeysAction;

	AzureMlApi(String refreshField, String expiryField, String noun, String listKeysAction) {
		this.refreshField = refreshField;
		this.expiryField = expiryField;
		this.noun = noun;
		this.listKeysAction = listKeysAction;
	}

	/**
	 * @param service the service
	 * @param action the sub-resource ({@code token}, {@code listkeys}, …) or {@code null}
	 * for the service itself
	 * @return the URI
	 */
	abstract URI uri(ServiceDescriptor service, String action);

	URI tokenUri(ServiceDescriptor service) {
		return uri(service, "token");
	}

	URI listKeysUri(ServiceDescriptor service) {
		return uri(service, this.listKeysAction);
	}

	URI regenerateKeysUri(ServiceDescriptor service) {
		return uri(service, "regenerateKeys");
	}

	String refreshField() {
		return this.refreshField;
	}

	String expiryField() {
		return this.expiryField;
	}

	/**
	 * @return how messages name a request, e.g. {@code token for online endpoint 'churn'}
	 */
	String describe(String what, ServiceDescriptor service) {
		return what + " for " + this.noun + " '" + service.name() + "'";
	}

	static AzureMlApi of(ServiceKind kind) {
		return switch (kind) {
			case WEBSERVICE -> WEBSERVICE;
			case ONLINE_ENDPOINT -> ONLINE_ENDPOINT;
		};
	}

}
