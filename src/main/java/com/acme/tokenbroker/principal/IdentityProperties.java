package com.acme.tokenbroker.principal;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

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
 * {@code https://login.microsoftonline.com/}
 * @param disableInstanceDiscovery skip authority validation (private clouds, ADFS, the
 * simulated workspace)
 * @param scope the scope of the broker's own token used for model management and ARM
 * calls
 * @param refreshMargin the broker's own token is refreshed this long before it expires
 * when Entra gives no refresh time
 * @param dataPlaneScope the scope of the Entra tokens handed to callers of
 * {@code aad_token} services
 */
@ConfigurationProperties("broker.identity")
public record IdentityProperties(Mode mode, String tenantId, String clientId, String clientSecret,
		Path clientSecretFile, Path certificatePath, String certificatePassword,
		@DefaultValue("false") boolean sendCertificateChain, Path tokenFile, URI authorityHost,
		@DefaultValue("false") boolean disableInstanceDiscovery,
		@DefaultValue("https://management.azure.com/.default") String scope, @DefaultValue("5m") Duration refreshMargin,
		@DefaultValue("https://ml.azure.com/.default") String dataPlaneScope) {

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

	@Override
	public String toString() {
		return "IdentityProperties[mode=" + this.mode + ", tenantId=" + this.tenantId + ", clientId=" + this.clientId
				+ ", clientSecret=" + ((this.clientSecret != null) ? "<redacted>" : "null") + ", clientSecretFile="
				+ this.clientSecretFile + ", certificatePath=" + this.certificatePath + ", certificatePassword="
				+ ((this.certificatePassword != null) ? "<redacted>" : "null") + ", tokenFile=" + this.tokenFile
				+ ", authorityHost=" + this.authorityHost + ", scope=" + this.scope + "]";
	}

}
