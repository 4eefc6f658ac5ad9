package com.acme.tokenbroker.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.simulator.boot.SimulatorLauncher;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * AKS workload identity: the broker exchanges a projected service-account token (read
 * from {@code broker.identity.token-file}, as AKS injects
 * {@code AZURE_FEDERATED_TOKEN_FILE}) for its Entra token, through azure-identity's
 * {@code WorkloadIdentityCredential} against the simulated Entra ID.
 */
@SimulatedWorkspaceTest
class WorkloadIdentityIntegrationTests {

	static final String CLIENT_ID = "8d2f5c1a-workload-identity";

	static final SimulatedWorkspace SIMULATOR = SimulatorLauncher.launch(TestWorkspaces.workspaces(),
			TestWorkspaces.services(), TestWorkspaces.settings(),
			SimulatedWorkspace.builder()
				.federatedPrincipal(CLIENT_ID, "system:serviceaccount:ml-apps:token-broker")
				.grant(CLIENT_ID, "ws-weu", "Reader")
				.grant(CLIENT_ID, "ws-eus", "Reader"));

	static final Path TOKEN_FILE = writeTokenFile();

	private static Path writeTokenFile() {
		try {
			Path file = Files.createTempFile("azure-identity-token", ".jwt");
			file.toFile().deleteOnExit();
			Files.writeString(file, SIMULATOR.mintServiceAccountToken("ml-apps", "token-broker",
					"api://AzureADTokenExchange", Duration.ofHours(1)));
			return file;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@DynamicPropertySource
	static void workloadIdentity(DynamicPropertyRegistry registry) {
		registry.add("broker.identity.mode", () -> "workload-identity");
		registry.add("broker.identity.client-id", () -> CLIENT_ID);
		registry.add("broker.identity.client-secret", () -> "");
		registry.add("broker.identity.token-file", TOKEN_FILE::toString);
	}

	@Autowired
	Http api;

	@Test
	void theBrokerSignsInWithItsFederatedTokenAndFetchesServiceTokens() {
		String caller = CallerTokens.app(SIMULATOR);

		Http.Response v1 = this.api.get("/tokens/v1-weu", caller);
		Http.Response v2 = this.api.get("/tokens/v2-weu", caller);

		assertThat(v1.status()).isEqualTo(200);
		assertThat(v2.status()).isEqualTo(200);
		assertThat(SIMULATOR.entraCallCount()).isGreaterThanOrEqualTo(1);
		assertThat(SIMULATOR.callCount("westeurope", Operation.MMS_TOKEN)).isEqualTo(1);
		assertThat(SIMULATOR.acceptsServiceToken("ws-weu", "v1-weu", v1.json().get("accessToken").stringValue()))
			.isTrue();
	}

}
