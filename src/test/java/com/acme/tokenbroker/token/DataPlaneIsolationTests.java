package com.acme.tokenbroker.token;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.AccessProperties;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.upstream.UpstreamException;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * Issue 11, item 2: services that may hand out one identity's Entra token must be granted
 * by the same rules.
 */
class DataPlaneIsolationTests {

	private final Map<String, String> properties = new LinkedHashMap<>(
			Map.of("broker.workspaces.w.subscription-id", "sub", "broker.workspaces.w.resource-group", "rg",
					"broker.workspaces.w.name", "ws", "broker.workspaces.w.region", "westeurope"));

	private DataPlaneIsolationTests service(String name, String kind, String authMode, String identity) {
		this.properties.put("broker.services." + name + ".workspace", "w");
		this.properties.put("broker.services." + name + ".kind", kind);
		this.properties.put("broker.services." + name + ".auth-mode", authMode);
		if (identity != null) {
			this.properties.put("broker.services." + name + ".identity", identity);
		}
		return this;
	}

	private DataPlaneIsolationTests rule(int index, String subject, String... services) {
		this.properties.put("broker.access.rules[" + index + "].name", subject);
		this.properties.put("broker.access.rules[" + index + "].subjects[0]", subject);
		for (int i = 0; i < services.length; i++) {
			this.properties.put("broker.access.rules[" + index + "].services[" + i + "]", services[i]);
		}
		return this;
	}

	private DataPlaneIsolation check() {
		Binder binder = new Binder(new MapConfigurationPropertySource(this.properties));
		ServiceCatalog catalog = new ServiceCatalog(binder.bindOrCreate("broker", CatalogProperties.class));
		AccessPolicy policy = new AccessPolicy(binder.bindOrCreate("broker.access", AccessProperties.class));
		return DataPlaneIsolation.check(catalog, policy);
	}

	@Test
	void checkWhenEntraTokenServicesOfOneIdentityGrantedToDifferentCallersThenNamesServicesRulesAndProperty() {
		service("a", "online-endpoint", "aad-token", null).service("b", "online-endpoint", "aad-token", null)
			.rule(0, "app-a", "a")
			.rule(1, "app-b", "b");

		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(this::check)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.services.a.identity"))
			.withMessageContaining("'a', 'b'")
			.withMessageContaining("a: [broker.access.rules[0] (app-a)]")
			.withMessageContaining("b: [broker.access.rules[1] (app-b)]")
			.withMessageContaining("broker.identities.<alias>");
	}

	@Test
	void checkWhenOneRuleGrantsOneOfTheServicesOnlyThenRefused() {
		service("a", "online-endpoint", "aad-token", null).service("b", "online-endpoint", "aad-token", null)
			.rule(0, "app", "a", "b")
			.rule(1, "app-a", "a");

		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(this::check)
			.withMessageContaining("b: [broker.access.rules[0] (app)]");
	}

	/**
	 * Configurations in which every identity's Entra token services are granted by the
	 * same rules, or no service hands out an Entra token at all.
	 */
	static Stream<Named<DataPlaneIsolationTests>> acceptedConfigurations() {
		return Stream.of(
				Named.of("the same rules grant all",
						new DataPlaneIsolationTests().service("a", "online-endpoint", "aad-token", null)
							.service("b", "online-endpoint", "aad-token", null)
							.rule(0, "app", "*")
							.rule(1, "ops", "a", "b")),
				Named.of("each service has its own identity",
						new DataPlaneIsolationTests().service("a", "online-endpoint", "aad-token", null)
							.service("b", "online-endpoint", "aad-token", "team-b")
							.rule(0, "app-a", "a")
							.rule(1, "app-b", "b")),
				Named.of("only token and key services",
						new DataPlaneIsolationTests().service("a", "webservice", "auto", null)
							.service("b", "online-endpoint", "key", null)
							.service("c", "online-endpoint", "aml-token", null)
							.rule(0, "app-a", "a")
							.rule(1, "app-b", "b")
							.rule(2, "app-c", "c")));
	}

	@ParameterizedTest
	@MethodSource("acceptedConfigurations")
	void checkWhenEntraTokenServicesOfOneIdentityGrantedBySameRulesThenAccepted(DataPlaneIsolationTests configuration) {
		assertThatNoException().isThrownBy(configuration::check);
	}

	@Test
	void requireIsolatedWhenDiscoveredModeServicesShareAnIdentityThenRefusedOnlyAsEntraTokens() {
		service("a", "online-endpoint", "auto", null).service("b", "online-endpoint", "auto", null)
			.service("c", "online-endpoint", "auto", "team-c")
			.rule(0, "app-a", "a", "c")
			.rule(1, "app-b", "b");

		DataPlaneIsolation isolation = check();

		ServiceCatalog catalog = new ServiceCatalog(new Binder(new MapConfigurationPropertySource(this.properties))
			.bindOrCreate("broker", CatalogProperties.class));
		assertThatExceptionOfType(UpstreamException.class)
			.isThrownBy(() -> isolation.requireIsolated(catalog.find(ServiceName.of("a")).orElseThrow()))
			.withMessageContaining("Service 'a' uses aad_token, refused");
		assertThatNoException()
			.isThrownBy(() -> isolation.requireIsolated(catalog.find(ServiceName.of("c")).orElseThrow()));
	}

}
