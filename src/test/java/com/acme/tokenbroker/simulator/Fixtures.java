package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The simulated estate most tests use: two regions; in the first, an MMS web service and
 * an ARM online endpoint in each auth mode they support; one principal per credential
 * kind.
 */
final class Fixtures {

	static final String SUBSCRIPTION = "00000000-1111-2222-3333-444444444444";

	static final String RESOURCE_GROUP = "rg-ml";

	static final String WORKSPACE = "ml-weu";

	static final String REGION = "westeurope";

	static final String OTHER_WORKSPACE = "ml-neu";

	static final String OTHER_REGION = "northeurope";

	static final String SERVICE = "fraud-scoring";

	static final String ENDPOINT = "churn-endpoint";

	static final String OTHER_SERVICE = "other-service";

	/** An MMS v1 web service with key auth. */
	static final String KEY_SERVICE = "keyed-scoring";

	/** An ARM v2 online endpoint with {@code authMode: Key}. */
	static final String KEY_ENDPOINT = "keyed-endpoint";

	/** An ARM v2 online endpoint with {@code authMode: AADToken}. */
	static final String AAD_ENDPOINT = "aad-endpoint";

	static final String ML_SCOPE = "https://ml.azure.com/.default";

	static final String SECRET_CLIENT = "broker-secret-app";

	static final String SECRET = "Sim~secret.value_1";

	static final String NO_ROLE_CLIENT = "no-role-app";

	static final String NO_ROLE_SECRET = "Sim~no-role.secret";

	static final String GENERATED_CLIENT = "generated-app";

	static final String CERT_CLIENT = "broker-cert-app";

	static final String WI_CLIENT = "broker-wi-app";

	static final String WI_NAMESPACE = "tokens";

	static final String WI_SERVICE_ACCOUNT = "broker";

	static final String WI_SUBJECT = "system:serviceaccount:tokens:broker";

	static final String API_VERSION = "2025-06-01";

	static final String ARM_SCOPE = "https://management.azure.com/.default";

	private Fixtures() {
	}

	static SimulatedWorkspaceBuilder standard(Clock clock, SelfSignedCertificate clientCertificate,
			IssuanceObserver observer) {
		return SimulatedWorkspace.builder()
			.clock(clock)
			.observer(observer)
			.workspace(WORKSPACE, SUBSCRIPTION, RESOURCE_GROUP, REGION)
			.workspace(OTHER_WORKSPACE, SUBSCRIPTION, RESOURCE_GROUP, OTHER_REGION)
			.webservice(WORKSPACE, SERVICE)
			.onlineEndpoint(WORKSPACE, ENDPOINT)
			.webservice(OTHER_WORKSPACE, OTHER_SERVICE)
			.webservice(WORKSPACE, KEY_SERVICE)
			.authMode(WORKSPACE, KEY_SERVICE, AuthMode.KEY)
			.onlineEndpoint(WORKSPACE, KEY_ENDPOINT)
			.authMode(WORKSPACE, KEY_ENDPOINT, AuthMode.KEY)
			.onlineEndpoint(WORKSPACE, AAD_ENDPOINT)
			.authMode(WORKSPACE, AAD_ENDPOINT, AuthMode.AAD_TOKEN)
			.clientSecretPrincipal(SECRET_CLIENT, SECRET)
			.clientSecretPrincipal(NO_ROLE_CLIENT, NO_ROLE_SECRET)
			.clientSecretPrincipal(GENERATED_CLIENT)
			.certificatePrincipal(CERT_CLIENT, clientCertificate.certificate())
			.federatedPrincipal(WI_CLIENT, WI_SUBJECT)
			.grant(SECRET_CLIENT, WORKSPACE, "Reader")
			.grant(SECRET_CLIENT, OTHER_WORKSPACE, "Reader")
			.grant(GENERATED_CLIENT, WORKSPACE, "Owner")
			.grant(CERT_CLIENT, WORKSPACE, "Contributor")
			.grant(WI_CLIENT, WORKSPACE, "AzureML Data Scientist")
			.grant(NO_ROLE_CLIENT, WORKSPACE, "Custom Auditor");
	}

	/**
	 * Put every service of {@link #standard} back in its initial auth mode.
	 */
	static void resetAuthModes(SimulatedWorkspace sim) {
		sim.setAuthMode(WORKSPACE, SERVICE, AuthMode.AML_TOKEN);
		sim.setAuthMode(WORKSPACE, ENDPOINT, AuthMode.AML_TOKEN);
		sim.setAuthMode(OTHER_WORKSPACE, OTHER_SERVICE, AuthMode.AML_TOKEN);
		sim.setAuthMode(WORKSPACE, KEY_SERVICE, AuthMode.KEY);
		sim.setAuthMode(WORKSPACE, KEY_ENDPOINT, AuthMode.KEY);
		sim.setAuthMode(WORKSPACE, AAD_ENDPOINT, AuthMode.AAD_TOKEN);
	}

	/**
	 * Write the certificate and its PKCS#8 key into one PEM file, as
	 * {@code ClientCertificateCredentialBuilder.pemCertificate(...)} reads it.
	 */
	static Path writePem(SelfSignedCertificate certificate, Path directory) throws IOException {
		Path file = directory.resolve("client.pem");
		Files.writeString(file, certificate.privateKeyPem() + certificate.certificatePem());
		return file;
	}

}
