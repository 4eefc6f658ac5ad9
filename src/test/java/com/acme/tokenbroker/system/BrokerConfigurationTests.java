package com.acme.tokenbroker.system;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.support.SecretLedger;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.core.NestedExceptionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A bad configuration stops the boot, and the failure names the property to fix.
 */
class BrokerConfigurationTests {

	private static Throwable boot(String... properties) {
		String[] args = java.util.stream.Stream
			.concat(java.util.stream.Stream.of("server.port=0", "management.server.port=0", "broker.tokens.warm-up=false"),
					java.util.stream.Stream.of(properties))
			.map((property) -> "--" + property)
			.toArray(String[]::new);
		return catchThrowable(() -> new SpringApplicationBuilder(TokenBrokerApplication.class).run(args).close());
	}

	private static InvalidConfigurationException configurationError(Throwable failure) {
		Throwable cause = failure;
		while (cause != null && !(cause instanceof InvalidConfigurationException)) {
			cause = cause.getCause();
		}
		assertThat(cause).as("an InvalidConfigurationException in " + failure).isNotNull();
		return (InvalidConfigurationException) cause;
	}

	@Test
	void aServiceNamingAnUnknownWorkspaceStopsTheBoot() {
		Throwable failure = boot("broker.services.fraud.workspace=nowhere");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.services.fraud.workspace");
	}

	@Test
	void noIdentityModeStopsTheBoot() {
		Throwable failure = boot("broker.access.issuers[0].issuer-uri=https://issuer.example/",
				"broker.access.issuers[0].jwk-set-uri=https://issuer.example/keys",
				"broker.access.issuers[0].audiences[0]=api://token-broker");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.identity.mode");
	}

	@Test
	void aNegativeDurationStopsTheBootNamingTheProperty() {
		Throwable failure = boot("spring.profiles.active=simulator", "broker.tokens.expiry-margin=-5m");

		assertThat(NestedExceptionUtils.getMostSpecificCause(failure)).hasMessageContaining("broker.tokens.expiry-margin");
		assertThat(org.assertj.core.util.Throwables.getRootCause(failure)).isInstanceOf(IllegalArgumentException.class);
		assertThat(failure).hasStackTraceContaining(BindException.class.getName());
	}

	@Test
	void theSimulatorRefusesToStartInsideKubernetes() {
		Throwable failure = boot("spring.profiles.active=simulator", "KUBERNETES_SERVICE_HOST=10.0.0.1");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.simulator.enabled");
		assertThat(configurationError(failure)).hasMessageContaining("Kubernetes");
	}

	// issue 11, item 11: real settings beside the simulator mean a real deployment with a stray profile
	@Test
	void theSimulatorRefusesToStartBesideARealTrustedIssuer() {
		Throwable failure = boot("spring.profiles.active=simulator",
				"broker.access.issuers[0].issuer-uri=https://login.microsoftonline.com/tenant/v2.0",
				"broker.access.issuers[0].jwk-set-uri=https://login.microsoftonline.com/tenant/discovery/v2.0/keys",
				"broker.access.issuers[0].audiences[0]=api://token-broker");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.access.issuers");
		assertThat(configurationError(failure)).hasMessageContaining("simulat");
	}

	@Test
	void theSimulatorRefusesToStartBesideARealIdentitySetting() {
		Throwable failure = boot("spring.profiles.active=simulator", "broker.identity.mode=workload-identity",
				"broker.identity.client-id=11111111-2222-3333-4444-555555555555");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.identity.mode");
	}

	@Test
	void theSimulatorRefusesToStartBesideAClientSecretWithoutShowingIt() {
		String secret = "Real~client.secret-" + java.util.UUID.randomUUID();
		SecretLedger.record(secret);

		Throwable failure = boot("spring.profiles.active=simulator", "broker.identity.client-secret=" + secret);

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.identity.client-secret");
		assertThat(configurationError(failure)).hasMessageNotContaining(secret);
	}

	@Test
	void theSimulatorRefusesToStartBesideAWorkspaceHostOffLoopback() {
		Throwable failure = boot("spring.profiles.active=simulator",
				"broker.workspaces.demo-weu.arm-host=https://management.azure.com");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.workspaces.demo-weu.arm-host");
	}

	@Test
	void fleetModeWithoutAnEncryptionKeyStopsTheBootNamingTheProperty() {
		Throwable failure = boot("spring.profiles.active=simulator", "broker.fleet.enabled=true");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.fleet.encryption.keys");
	}

}
