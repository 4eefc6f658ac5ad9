package com.acme.tokenbroker.catalog;

import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.azure.identity.AzureAuthorityHosts;

/**
 * The Azure cloud the broker works in ({@code broker.cloud}), and the endpoints it uses
 * there unless a property names another: the Entra authority
 * ({@code broker.identity.authority-host}), the Resource Manager host and scope
 * ({@code broker.workspaces.<alias>.arm-host}, {@code broker.identity.scope}), the Azure
 * ML resource whose tokens {@code aad-token} callers get
 * ({@code broker.identity.data-plane-scope}) and the regional model-management host
 * ({@code broker.workspaces.<alias>.mms-host}).
 * <p>
 * Where each value comes from (docs/real-workspace.md, "Sovereign clouds"):
 * <ul>
 * <li>authority hosts: azure-identity's {@link AzureAuthorityHosts};</li>
 * <li>Resource Manager hosts: Microsoft's documented endpoints, as
 * azure-core-management's {@code AzureEnvironment.getResourceManagerEndpoint()} and the
 * Azure ML Python SDK's {@code RESOURCE_MANAGER_ENDPOINT} give them
 * (azure-core-management is not a dependency, so they are written out here);</li>
 * <li>Azure ML resources ({@code https://ml.azure.com}, {@code .cn}, {@code .us}): the
 * Azure ML Python SDK's {@code AML_RESOURCE_ID};</li>
 * <li>inferred: the Resource Manager scope outside the public cloud (the public scope's
 * form, the host plus {@code /.default}; azure-identity's own default scope names
 * {@code management.core.*} instead), and the model-management host pattern outside the
 * public cloud: Microsoft documents {@code usgovarizona.api.ml.azure.us},
 * {@code usgovvirginia.api.ml.azure.us} and the {@code api.ml.azure.cn} zone, not
 * {@code /modelmanagement} on {@code {region}.api.ml.azure.cn} or {@code .azure.us}.</li>
 * </ul>
 */
public enum Cloud {

	/** Azure's public cloud. */
	PUBLIC("public", AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, "https://management.azure.com", "https://ml.azure.com",
			"api.azureml.ms"),

	/** Azure operated by 21Vianet (China). */
	CHINA("china", AzureAuthorityHosts.AZURE_CHINA, "https://management.chinacloudapi.cn", "https://ml.azure.cn",
			"api.ml.azure.cn"),

	/** Azure Government (US). */
	US_GOVERNMENT("us-government", AzureAuthorityHosts.AZURE_GOVERNMENT, "https://management.usgovcloudapi.net",
			"https://ml.azure.us", "api.ml.azure.us");

	/** The property choosing the cloud. */
	public static final String PROPERTY = "broker.cloud";

	private final String value;

	private final URI authorityHost;

	private final URI armHost;

	private final String machineLearningResource;

	private final String modelManagementDomain;

	Cloud(String value, String authorityHost, String armHost, String machineLearningResource,
			String modelManagementDomain) {
		this.value = value;
		this.authorityHost = URI.create(authorityHost);
		this.armHost = URI.create(armHost);
		this.machineLearningResource = machineLearningResource;
		this.modelManagementDomain = modelManagementDomain;
	}

	/**
	 * The cloud a {@code broker.cloud} value names.
	 * @param value {@code public}, {@code china} or {@code us-government} (any case,
	 * {@code _} for {@code -}); {@code null} or blank is {@code public}
	 * @return the cloud
	 * @throws InvalidConfigurationException naming {@code broker.cloud} for any other
	 * value
	 */
	public static Cloud of(String value) {
		if (value == null || value.isBlank()) {
			return PUBLIC;
		}
		String wanted = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
		for (Cloud cloud : values()) {
			if (cloud.value.equals(wanted)) {
				return cloud;
			}
		}
		throw new InvalidConfigurationException(PROPERTY, "'" + value + "' is not a cloud the broker knows: "
				+ Arrays.stream(values()).map(Cloud::value).collect(Collectors.joining(", ")));
	}

	/**
	 * @return the value of {@code broker.cloud} naming this cloud
	 */
	public String value() {
		return this.value;
	}

	/**
	 * @return the Entra authority, as azure-identity's {@code authorityHost(..)} takes it
	 * (with its trailing slash)
	 */
	public URI authorityHost() {
		return this.authorityHost;
	}

	/**
	 * @return the Azure Resource Manager host, without a trailing slash
	 */
	public URI armHost() {
		return this.armHost;
	}

	/**
	 * @return the scope of the broker's own token for Resource Manager and model
	 * management; inferred outside the public cloud (see the class comment)
	 */
	public String armScope() {
		return this.armHost + "/.default";
	}

	/**
	 * @return the scope of the Entra tokens handed to callers of {@code aad-token}
	 * services: the Azure ML resource plus {@code /.default}
	 */
	public String machineLearningScope() {
		return this.machineLearningResource + "/.default";
	}

	/**
	 * The regional model-management (v1) host; the pattern is inferred outside the public
	 * cloud (see the class comment).
	 * @param region the workspace's region, e.g. {@code westeurope}
	 * @return {@code https://{region}.api.azureml.ms} or its sovereign counterpart
	 */
	public URI modelManagementHost(String region) {
		return URI.create("https://" + region + "." + this.modelManagementDomain);
	}

	/**
	 * Whether a URL's host is this cloud's Entra authority.
	 * @param authority an authority URL, e.g. the value of {@code AZURE_AUTHORITY_HOST}
	 * @return whether its host is this cloud's authority host
	 */
	public boolean isAuthority(URI authority) {
		return authority.getHost() != null && "https".equalsIgnoreCase(authority.getScheme())
				&& this.authorityHost.getHost().equalsIgnoreCase(authority.getHost());
	}

	@Override
	public String toString() {
		return this.value;
	}

}
