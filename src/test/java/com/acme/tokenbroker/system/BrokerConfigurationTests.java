package com.acme.tokenbroker.system;

import com.acme.tokenbroker.TokenBrokerApplication;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.core.NestedExceptionUtils;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A bad configuration stops the boot, and the failure names the property to fix.
 */
class BrokerConfigurationTests {

	private static Throwable boot(String... properties) {
		String[] args = java.util.stream.Stream
			.concat(java.util.stream.Stream.of("server.port=0", "management.server.port=0",
					"broker.tokens.warm-up=false"), java.util.stream.Stream.of(properties))
			.map((property) -> "--" + property)
			.toArray(String[]::new);
		return catchThrowable(() -> new SpringApplicationBuilder(TokenBrokerApplication.class).run(args).close());
	}

	/** The property named by the configuration error that stops a boot. */
	private static String failingProperty(String... properties) {
		return configurationError(boot(properties)).getProperty();
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
		assertThat(failingProperty("broker.services.fraud.workspace=nowhere"))
			.isEqualTo("broker.services.fraud.workspace");
	}

	@Test
	void noIdentityModeStopsTheBoot() {
		assertThat(failingProperty("broker.access.issuers[0].issuer-uri=https://issuer.example/",
				"broker.access.issuers[0].jwk-set-uri=https://issuer.example/keys",
				"broker.access.issuers[0].audiences[0]=api://token-broker"))
			.isEqualTo("broker.identity.mode");
	}

	/**
	 * Secrets of identities that never sign in here; LogSecrecyTests still looks for them
	 * in the run's log.
	 */
	private static final String DEFAULT_SECRET = recorded("cfg~default-" + java.util.UUID.randomUUID());

	private static final String TEAM_B_SECRET = recorded("cfg~team-b-" + java.util.UUID.randomUUID());

	private static String recorded(String secret) {
		com.acme.tokenbroker.support.SecretLedger.record(secret);
		return secret;
	}

	private static final String[] TWO_ENTRA_TOKEN_SERVICES = {
			"broker.access.issuers[0].issuer-uri=https://issuer.example/",
			"broker.access.issuers[0].jwk-set-uri=https://issuer.example/keys",
			"broker.access.issuers[0].audiences[0]=api://token-broker", "broker.identity.mode=client-secret",
			"broker.identity.tenant-id=00000000-0000-0000-0000-000000000001", "broker.identity.client-id=broker",
			"broker.identity.client-secret=" + DEFAULT_SECRET, "broker.workspaces.w.subscription-id=sub",
			"broker.workspaces.w.resource-group=rg", "broker.workspaces.w.name=ws",
			"broker.workspaces.w.region=westeurope", "broker.services.svc-a.workspace=w",
			"broker.services.svc-a.kind=online-endpoint", "broker.services.svc-a.auth-mode=aad-token",
			"broker.services.svc-b.workspace=w", "broker.services.svc-b.kind=online-endpoint",
			"broker.services.svc-b.auth-mode=aad-token", "broker.access.rules[0].name=team-a",
			"broker.access.rules[0].subjects[0]=app-a", "broker.access.rules[0].services[0]=svc-a",
			"broker.access.rules[1].name=team-b", "broker.access.rules[1].subjects[0]=app-b",
			"broker.access.rules[1].services[0]=svc-b" };

	// Issue 11, item 2: the Entra token of one identity would reach callers of both
	// services.
	@Test
	void entraTokenServicesSharingAnIdentityButGrantedToDifferentCallersStopTheBoot() {
		Throwable failure = boot(TWO_ENTRA_TOKEN_SERVICES);

		InvalidConfigurationException error = configurationError(failure);
		assertThat(error.getProperty()).isEqualTo("broker.services.svc-a.identity");
		assertThat(error).hasMessageContaining("'svc-a', 'svc-b'")
			.hasMessageContaining("broker.access.rules[0] (team-a)")
			.hasMessageContaining("broker.access.rules[1] (team-b)")
			.hasMessageContaining("identity 'default'");
	}

	@Test
	void entraTokenServicesWithAnIdentityEachBoot() {
		String[] properties = java.util.stream.Stream
			.concat(java.util.Arrays.stream(TWO_ENTRA_TOKEN_SERVICES), java.util.stream.Stream.of(
					"broker.identities.team-b.mode=client-secret", "broker.identities.team-b.client-id=broker-b",
					"broker.identities.team-b.client-secret=" + TEAM_B_SECRET, "broker.services.svc-b.identity=team-b"))
			.toArray(String[]::new);

		assertThat(boot(properties)).isNull();
	}

	@Test
	void aServiceNamingAnUnknownIdentityStopsTheBoot() {
		assertThat(failingProperty("spring.profiles.active=simulator", "broker.services.fraud-scoring.identity=nobody"))
			.isEqualTo("broker.services.fraud-scoring.identity");
	}

	/**
	 * A proxy URL that is no URL stops the boot naming the property; neither the report
	 * nor the exception repeats the value, which holds the proxy's password.
	 */
	@Test
	@ExtendWith(OutputCaptureExtension.class)
	void aMalformedProxyUrlStopsTheBootWithoutShowingItsPassword(CapturedOutput output) {
		String password = "proxy~pw-" + java.util.UUID.randomUUID();
		Throwable failure = boot("spring.profiles.active=simulator",
				"broker.upstream.proxy.url=http://broker:" + password + "@proxy host:3128");

		assertThat(failure).isNotNull();
		assertThat(output.getAll()).contains("broker.upstream.proxy.url").doesNotContain(password);
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			assertThat(String.valueOf(cause.getMessage())).doesNotContain(password);
		}
	}

	@Test
	void aNegativeDurationStopsTheBootNamingTheProperty() {
		Throwable failure = boot("spring.profiles.active=simulator", "broker.tokens.expiry-margin=-5m");

		assertThat(NestedExceptionUtils.getMostSpecificCause(failure))
			.hasMessageContaining("broker.tokens.expiry-margin");
		assertThat(org.assertj.core.util.Throwables.getRootCause(failure)).isInstanceOf(IllegalArgumentException.class);
		assertThat(failure).hasStackTraceContaining(BindException.class.getName());
	}

	/**
	 * Issue 11, item 4: the simulator trusts two issuers, so a rule must say whose
	 * subject it means.
	 */
	@Test
	void aRuleWithoutIssuerWhenTwoIssuersAreTrustedStopsTheBootNamingTheRule() {
		assertThat(failingProperty("spring.profiles.active=simulator", "broker.access.rules[0].subjects[0]=demo-app",
				"broker.access.rules[0].services[0]=*"))
			.isEqualTo("broker.access.rules[0].issuer");
	}

	@Test
	void anAdminRuleNamingAnUntrustedIssuerStopsTheBootNamingTheRule() {
		assertThat(failingProperty("spring.profiles.active=simulator",
				"broker.access.admin-rules[0].issuer=https://elsewhere.example/",
				"broker.access.admin-rules[0].roles[0]=Admin", "broker.access.admin-rules[0].services[0]=*"))
			.isEqualTo("broker.access.admin-rules[0].issuer");
	}

	@Test
	void theSimulatorRefusesToStartInsideKubernetes() {
		Throwable failure = boot("spring.profiles.active=simulator", "KUBERNETES_SERVICE_HOST=10.0.0.1");

		assertThat(configurationError(failure).getProperty()).isEqualTo("broker.simulator.enabled");
		assertThat(configurationError(failure)).hasMessageContaining("Kubernetes");
	}

	// issue 11, item 11: real settings beside the simulator mean a real deployment with a
	// stray profile
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
		assertThat(failingProperty("spring.profiles.active=simulator", "broker.identity.mode=workload-identity",
				"broker.identity.client-id=11111111-2222-3333-4444-555555555555"))
			.isEqualTo("broker.identity.mode");
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
		assertThat(failingProperty("spring.profiles.active=simulator",
				"broker.workspaces.demo-weu.arm-host=https://management.azure.com"))
			.isEqualTo("broker.workspaces.demo-weu.arm-host");
	}

	@Test
	void anUnknownCloudStopsTheBootNamingTheProperty() {
		assertThat(failingProperty("broker.cloud=germany")).isEqualTo("broker.cloud");
	}

	@Test
	void theSimulatorRefusesToStartInAnotherCloud() {
		assertThat(failingProperty("spring.profiles.active=simulator", "broker.cloud=china")).isEqualTo("broker.cloud");
	}

	@Test
	void fleetModeWithoutAnEncryptionKeyStopsTheBootNamingTheProperty() {
		assertThat(failingProperty("spring.profiles.active=simulator", "broker.fleet.enabled=true"))
			.isEqualTo("broker.fleet.encryption.keys");
	}

}
