package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.Cloud;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceKind;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.principal.IdentityProperties;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.AccessProperties;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.token.TokenProperties;
import com.acme.tokenbroker.upstream.UpstreamProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.FileSystemResource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The ConfigMap's {@code application.yml} binds to the broker's configuration records and
 * passes their validation, layered over the image's {@code /app/application.yml} (the
 * repository's root file) as Spring Boot layers {@code config/application.yml} over
 * {@code application.yml}.
 */
class RenderedConfigurationBindingTests {

	static final List<String> SCENARIOS = TokenBrokerChart.SCENARIOS;

	static Binder binder(String renderedYaml) {
		return binder(renderedYaml, Map.of());
	}

	/**
	 * A binder over the rendered configuration with the container's environment first, as
	 * Spring Boot orders them.
	 * @param renderedYaml the ConfigMap's {@code application.yml}
	 * @param environment environment variables, as the kubelet would resolve the
	 * container's {@code env}
	 * @return the binder
	 */
	static Binder binder(String renderedYaml, Map<String, Object> environment) {
		MutablePropertySources sources = new MutablePropertySources();
		// Named as Spring Boot names it, so that BROKER_FLEET_ENCRYPTION_KEYS_K1 maps to
		// broker.fleet.encryption.keys.k1.
		sources.addFirst(new SystemEnvironmentPropertySource(
				StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
		try {
			YamlPropertySourceLoader loader = new YamlPropertySourceLoader();
			loader.load("config/application.yml", new ByteArrayResource(renderedYaml.getBytes()))
				.forEach(sources::addLast);
			// The image's own application.yml, without its profile documents (the
			// simulator's).
			for (PropertySource<?> document : loader.load("application.yml",
					new FileSystemResource("application.yml"))) {
				if (!document.containsProperty("spring.config.activate.on-profile")) {
					sources.addLast(document);
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return new Binder(ConfigurationPropertySources.from(sources));
	}

	/** The identity settings of a scenario's rendered configuration. */
	/** The broker's identity as it signs in: its settings completed from the cloud's. */
	private static IdentityProperties identity(String scenario) {
		Binder binder = binder(TokenBrokerChart.render(scenario).applicationYaml());
		Cloud cloud = Cloud.of(binder.bind(Cloud.PROPERTY, String.class).orElse(null));
		return bind(binder, "broker.identity", IdentityProperties.class).inCloud("broker.identity", cloud, null);
	}

	static <T> T bind(Binder binder, String prefix, Class<T> type) {
		return binder.bindOrCreate(prefix, type);
	}

	@ParameterizedTest
	@FieldSource("SCENARIOS")
	void theRenderedCatalogBindsAndValidates(String scenario) {
		Binder binder = binder(TokenBrokerChart.render(scenario).applicationYaml());

		ServiceCatalog catalog = new ServiceCatalog(bind(binder, "broker", CatalogProperties.class));

		assertThat(catalog.services()).extracting((service) -> service.name().value())
			.containsExactlyInAnyOrder("fraud-scoring", "churn-model");
		ServiceDescriptor churn = catalog.find(ServiceName.of("churn-model")).orElseThrow();
		assertThat(churn.kind()).isEqualTo(ServiceKind.ONLINE_ENDPOINT);
		assertThat(churn.upstreamName()).isEqualTo("churn-v2");
		assertThat(churn.workspace().region()).isEqualTo("westeurope");
		assertThat(churn.workspace().mmsHost()).hasToString("https://westeurope.api.azureml.ms");
	}

	@ParameterizedTest
	@FieldSource("SCENARIOS")
	void theRenderedAccessRulesBindAndValidate(String scenario) {
		Binder binder = binder(TokenBrokerChart.render(scenario).applicationYaml());

		AccessProperties access = bind(binder, "broker.access", AccessProperties.class);
		new AccessPolicy(access);

		assertThat(access.issuers()).singleElement()
			.satisfies((issuer) -> assertThat(issuer.audiences()).containsExactly("token-broker"));
		assertThat(access.rules()).singleElement()
			.satisfies((rule) -> assertThat(rule.subjects()).containsExactly("system:serviceaccount:ml-apps:scorer"));
	}

	@ParameterizedTest
	@FieldSource("SCENARIOS")
	void theRenderedTokenAndUpstreamSettingsBindWithTheOperatorDefaults(String scenario) {
		Binder binder = binder(TokenBrokerChart.render(scenario).applicationYaml());

		TokenProperties tokens = bind(binder, "broker.tokens", TokenProperties.class);
		UpstreamProperties upstream = bind(binder, "broker.upstream", UpstreamProperties.class);

		assertThat(tokens.minRunway()).hasMinutes(15);
		assertThat(tokens.expiryMargin()).hasMinutes(5);
		assertThat(upstream.callTimeout()).hasSeconds(15);
		assertThat(binder.bind("server.port", Integer.class).get()).isEqualTo(8080);
		assertThat(binder.bind("management.server.port", Integer.class).get()).isEqualTo(8081);
		assertThat(binder.bind("broker.simulator.enabled", Boolean.class).get()).isFalse();
	}

	@Test
	void workloadIdentityReadsTheChartsProjectedTokenWithTheIdsFromTheValues() {
		IdentityProperties identity = identity("standalone-workload-identity");

		assertThat(identity.mode()).isEqualTo(IdentityProperties.Mode.WORKLOAD_IDENTITY);
		// Issue 11, item 1: no longer the webhook's AZURE_* environment, which would
		// reach every container.
		assertThat(identity.tokenFile())
			.hasToString("/var/run/secrets/token-broker/azure-identity/azure-identity-token");
		assertThat(identity.tenantId()).isEqualTo("72f988bf-0000-4000-8000-000000000001");
		assertThat(identity.clientId()).isEqualTo("0b5e3c1a-6f2d-4e8b-9a7c-1d2e3f4a5b6c");
		assertThat(identity.clientSecretFile()).isNull();
		assertThat(identity.scope()).isEqualTo("https://management.azure.com/.default");
	}

	@Test
	void aClientSecretIsReadFromTheMountedFile() {
		IdentityProperties identity = identity("sidecar-client-secret");

		assertThat(identity.mode()).isEqualTo(IdentityProperties.Mode.CLIENT_SECRET);
		assertThat(identity.tenantId()).isEqualTo("72f988bf-0000-4000-8000-000000000001");
		assertThat(identity.clientId()).isEqualTo("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a");
		assertThat(identity.clientSecretFile()).hasToString("/var/run/secrets/token-broker/identity/client-secret");
		assertThat(identity.clientSecret()).isNull();
	}

	@Test
	void aClientCertificateIsReadFromTheMountedFile() {
		IdentityProperties identity = identity("standalone-everything-on");

		assertThat(identity.mode()).isEqualTo(IdentityProperties.Mode.CLIENT_CERTIFICATE);
		assertThat(identity.certificatePath()).hasToString("/var/run/secrets/token-broker/identity/broker.pfx");
		assertThat(identity.sendCertificateChain()).isTrue();
	}

	@Test
	void aServiceNamingAnUnknownWorkspaceFailsTheCatalogValidation() {
		String rendered = TokenBrokerChart
			.render("standalone-workload-identity", Map.of("config.services.fraud-scoring.workspace", "nowhere"))
			.applicationYaml();

		CatalogProperties catalog = bind(binder(rendered), "broker", CatalogProperties.class);

		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(() -> new ServiceCatalog(catalog))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.services.fraud-scoring.workspace"));
	}

}
