package com.acme.tokenbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The metadata a {@code GET} of a service answers: an MMS v1 AKS web service (§3.4) or an
 * ARM v2 managed online endpoint (§4), each reporting the service's current mode and its
 * scoring URI. {@link Fault.Kind#OVERSIZED} pads them past the broker's size limit.
 */
final class ResourceBodies {

	private final RegionContext region;

	ResourceBodies(RegionContext region) {
		this.region = region;
	}

	/**
	 * The metadata of a web service or of an online endpoint.
	 */
	Map<String, Object> of(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		return service.isOnlineEndpoint() ? onlineEndpoint(workspace, service, fault)
				: webservice(workspace, service, fault);
	}

	private Map<String, Object> webservice(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", service.name());
		body.put("name", service.name());
		boolean keyAuth = service.auth().mode() == AuthMode.KEY;
		body.put("description", "Simulated AKS web service with " + (keyAuth ? "key" : "token") + " authentication");
		body.put("kvTags", padding(fault));
		body.put("properties", Map.of("hasInferenceSchema", "False", "hasHttps", "True"));
		body.put("state", "Healthy");
		body.put("createdTime", created);
		body.put("updatedTime", created);
		body.put("computeType", "AKS");
		body.put("deploymentType", "HttpRealtimeEndpoint");
		body.put("computeName", "aks-sim");
		body.put("namespace", "azureml-" + workspace.name());
		body.put("numReplicas", 1);
		body.put("appInsightsEnabled", false);
		Map<String, Object> autoScaler = new LinkedHashMap<>();
		autoScaler.put("autoscaleEnabled", false);
		autoScaler.put("minReplicas", 1);
		autoScaler.put("maxReplicas", 1);
		autoScaler.put("targetUtilization", 70);
		autoScaler.put("refreshPeriodInSeconds", 1);
		body.put("autoScaler", autoScaler);
		body.put("containerResourceRequirements", Map.of("cpu", 0.1, "memoryInGB", 0.5));
		body.put("maxConcurrentRequestsPerContainer", 1);
		body.put("maxQueueWaitMs", 500);
		body.put("scoringTimeoutMs", 60000);
		body.put("deploymentStatus", Map.of("desiredReplicas", 1, "updatedReplicas", 1, "availableReplicas", 1));
		body.put("scoringUri", this.region.scoringUri(workspace.name(), service.name()));
		body.put("swaggerUri", this.region.baseUrl() + "/api/v1/service/" + service.name() + "/swagger.json");
		// aadAuthEnabled is "token auth" on the wire, authEnabled "key auth"; they are
		// mutually exclusive (reference §3.4).
		body.put("authEnabled", keyAuth);
		body.put("aadAuthEnabled", !keyAuth);
		body.put("models", List.of());
		return body;
	}

	private Map<String, Object> onlineEndpoint(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		String created = DateTimeFormatter.ISO_INSTANT.format(workspace.createdAt());
		String scoringBase = this.region.baseUrl() + "/endpoints/" + workspace.name() + "/" + service.name();
		Map<String, Object> properties = new LinkedHashMap<>();
		AuthMode mode = service.auth().mode();
		properties.put("description", "Simulated online endpoint with " + mode.armValue() + " authentication");
		properties.put("properties", padding(fault));
		properties.put("scoringUri", this.region.scoringUri(workspace.name(), service.name()));
		properties.put("swaggerUri", scoringBase + "/swagger.json");
		properties.put("authMode", mode.armValue());
		properties.put("provisioningState", "Succeeded");
		properties.put("traffic", Map.of("blue", 100));
		Map<String, Object> systemData = new LinkedHashMap<>();
		systemData.put("createdAt", created);
		systemData.put("createdBy", "simulator");
		systemData.put("createdByType", "Application");
		systemData.put("lastModifiedAt", created);
		systemData.put("lastModifiedBy", "simulator");
		systemData.put("lastModifiedByType", "Application");
		Map<String, Object> identity = new LinkedHashMap<>();
		identity.put("type", "SystemAssigned");
		identity.put("principalId",
				UUID.nameUUIDFromBytes(
						("endpoint:" + workspace.name() + "/" + service.name()).getBytes(StandardCharsets.UTF_8))
					.toString());
		identity.put("tenantId", this.region.directory().tenantId());
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("id", workspace.armId() + "/onlineEndpoints/" + service.name());
		body.put("name", service.name());
		body.put("type", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints");
		body.put("properties", properties);
		body.put("systemData", systemData);
		body.put("tags", Map.of());
		body.put("location", this.region.region());
		body.put("kind", "Managed");
		body.put("identity", identity);
		return body;
	}

	/**
	 * A free-form map of the resource: empty, or padded under
	 * {@link Fault.Kind#OVERSIZED}.
	 */
	private static Map<String, Object> padding(Fault fault) {
		Map<String, Object> tags = new LinkedHashMap<>();
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			tags.put("padding", Padding.oversizedToken());
		}
		return tags;
	}

}
