package com.acme.tokenbroker.principal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

import com.acme.tokenbroker.catalog.Cloud;
import com.acme.tokenbroker.system.InvalidConfigurationException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.StringUtils;

/**
 * How the broker signs in to Microsoft Entra ID as itself, bound from
 * {@code broker.identity}. Secrets are never printed: {@link #toString()} redacts them.
 *
 * @param mode which credential to use
 * @param tenantId the Entra tenant; for workload identity defaults to
 * {@code AZURE_TENANT_ID}
 * @param clientId the application (client) id; for workload identity defaults to
 * {@code AZURE_CLIENT_ID}; for managed identity selects a user-assigned identity
 * @param clientSecret the client secret (prefer {@code client-secret-file} or an
 * environment variable)
 * @param clientSecretFile a file holding the client secret, e.g. a mounted Kubernetes
 * Secret; re-read on every sign-in
 * @param certificatePath PEM or PFX certificate with its private key, for
 * {@code client-certificate}
 * @param certificatePassword password of a PFX certificate
 * @param sendCertificateChain send the x5c header (subject name and issuer
 * authentication)
 * @param tokenFile the federated token file; defaults to
 * {@code AZURE_FEDERATED_TOKEN_FILE}
 * @param authorityHost the Entra authority; defaults to {@code AZURE_AUTHORITY_HOST} or
 * the cloud's ({@code broker.cloud}), in the public cloud
 * {@code https://login.microsoftonline.com/}
 * @param disableInstanceDiscovery skip authority validation (private clouds, ADFS, the
 * simulated workspace)
 * @param scope the scope of the broker's own token used for model management and ARM
 * calls; defaults to the cloud's, in the public cloud
 * {@code https://management.azure.com/.default}
 * @param refreshMargin the broker's own token is refreshed this long before it expires
 * when Entra gives no refresh time
 * @param dataPlaneScope the scope of the Entra tokens handed to callers of
 * {@code aad_token} services; defaults to the cloud's, in the public cloud
 * {@code https://ml.azure.com/.default}
 */
@ConfigurationProperties("broker.identity")
public record IdentityProperties(Mode mode, String tenantId, String clientId, String clientSecret,
		Path clientSecretFile, Path certificatePath, String certificatePassword,
		@DefaultValue("false") boolean sendCertificateChain, Path tokenFile, URI authorityHost,
		@DefaultValue("false") boolean disableInstanceDiscovery, String scope,
		@DefaultValue("5m") Duration refreshMargin, String dataPlaneScope) {

	/** The credential types azure-identity offers that fit a service. */
	public enum Mode {

		CLIENT_SECRET, CLIENT_CERTIFICATE, WORKLOAD_IDENTITY, MANAGED_IDENTITY

	}

	/**
	 * @param base the settings of {@code broker.identity}
	 * @return these settings with the tenant, the authority host and the federated token
	 * file taken from the base where these leave them unset (identities of one tenant, or
	 * client ids federated to one service account)
	 */
	IdentityProperties inheriting(IdentityProperties base) {
		return new IdentityProperties(this.mode, (this.tenantId != null) ? this.tenantId : base.tenantId(),
				this.clientId, this.clientSecret, this.clientSecretFile, this.certificatePath, this.certificatePassword,
				this.sendCertificateChain, (this.tokenFile != null) ? this.tokenFile : base.tokenFile(),
				(this.authorityHost != null) ? this.authorityHost : base.authorityHost(), this.disableInstanceDiscovery,
				this.scope, this.refreshMargin, this.dataPlaneScope);
	}

	/**
	 * These settings with what they leave unset taken from the cloud: the scopes, and the
	 * authority unless {@code AZURE_AUTHORITY_HOST} names one (azure-identity's own
	 * default, which AKS workload identity's webhook sets). An authority from the
	 * environment must be the cloud's: the broker sends its credential to another cloud's
	 * authority only when {@code authority-host} names it.
	 * @param prefix the properties' prefix, for messages
	 * @param cloud the cloud of {@code broker.cloud}
	 * @param environmentAuthority the value of {@code AZURE_AUTHORITY_HOST}, or
	 * {@code null}
	 * @return the settings to sign in with
	 */
	public IdentityProperties inCloud(String prefix, Cloud cloud, String environmentAuthority) {
		URI authority = this.authorityHost;
		if (authority == null && StringUtils.hasText(environmentAuthority)) {
			authority = parse(environmentAuthority.strip());
			if (authority == null || !cloud.isAuthority(authority)) {
				throw new InvalidConfigurationException(Cloud.PROPERTY,
						"is " + cloud + ", whose Entra authority is " + cloud.authorityHost()
								+ ", but AZURE_AUTHORITY_HOST is " + environmentAuthority.strip() + ": set "
								+ Cloud.PROPERTY + " to its cloud, or " + prefix
								+ ".authority-host to sign in there anyway");
			}
		}
		if (authority == null) {
			authority = cloud.authorityHost();
		}
		return new IdentityProperties(this.mode, this.tenantId, this.clientId, this.clientSecret, this.clientSecretFile,
				this.certificatePath, this.certificatePassword, this.sendCertificateChain, this.tokenFile, authority,
				this.disableInstanceDiscovery, StringUtils.hasText(this.scope) ? this.scope : cloud.armScope(),
				this.refreshMargin,
				StringUtils.hasText(this.dataPlaneScope) ? this.dataPlaneScope : cloud.machineLearningScope());
	}

	private static URI parse(String uri) {
		try {
			return new URI(uri);
		}
		catch (URISyntaxException ex) {
			return null;
		}
	}

	@Override
	public String toString() {
		return "IdentityProperties[mode=" + this.mode + ", tenantId=" + this.tenantId + ", clientId=" + this.clientId
				+ ", clientSecret=" + ((this.clientSecret != null) ? "<redacted>" : "null") + ", clientSecretFile="
				+ this.clientSecretFile + ", certificatePath=" + this.certificatePath + ", certificatePassword="
				+ ((this.certificatePassword != null) ? "<redacted>" : "null") + ", tokenFile=" + this.tokenFile
				+ ", authorityHost=" + this.authorityHost + ", scope=" + this.scope + "]";
	}

}
