package com.acme.tokenbroker.catalog;

import java.net.URI;

/**
 * A validated workspace with its hosts resolved.
 *
 * @param alias the key under {@code broker.workspaces}
 * @param subscriptionId the subscription id
 * @param resourceGroup the resource group
 * @param name the workspace name in Azure
 * @param region the Azure region
 * @param mmsHost the v1 model-management host
 * @param armHost the Azure Resource Manager host
 * @param armApiVersion the ARM api-version for online endpoints
 */
public record WorkspaceDescriptor(String alias, String subscriptionId, String resourceGroup, String name, String region,
		URI mmsHost, URI armHost, String armApiVersion) {
}
