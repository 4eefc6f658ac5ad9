package com.acme.tokenbroker.deploy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.context.properties.bind.Binder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Issue 15, item 8: {@code ipFamily} chooses the addresses the broker listens on, so that
 * it works in an IPv6-only pod ({@code ::1} for the sidecar's API, {@code ::} for the
 * other listeners), the app containers' URL and the Service's IP families.
 */
class IpFamilyChartTests {

	@TempDir
	Path workDir;

	@Test
	void ipv4IsTheDefaultAndLeavesTheServiceToTheClustersDefaultFamily() {
		Manifests manifests = TokenBrokerChart.render("standalone-workload-identity");
		JsonNode service = manifests.one("Service").path("spec");

		assertThat(manifests.applicationConfig().at("/server/address").asString()).isEqualTo("0.0.0.0");
		assertThat(manifests.applicationConfig().at("/management/server/address").asString()).isEqualTo("0.0.0.0");
		assertThat(service.has("ipFamilyPolicy")).isFalse();
		assertThat(service.has("ipFamilies")).isFalse();
	}

	@Test
	void ipv6SidecarListensOnTheIpv6LoopbackAndTheAppCallsItThere() {
		Manifests manifests = TokenBrokerChart.renderAppChart(this.workDir, Map.of("token-broker.ipFamily", "ipv6"));
		JsonNode pod = manifests.one("Deployment").at("/spec/template/spec");
		JsonNode app = Manifests.container(pod, "containers", "scorer");
		JsonNode config = manifests.applicationConfig();

		assertThat(config.at("/server/address").asString()).isEqualTo("::1");
		assertThat(config.at("/management/server/address").asString()).as("kubelet probes reach the pod's IPv6 address")
			.isEqualTo("::");
		// RFC 3986: an IPv6 literal in a URL is in brackets
		assertThat(Manifests.named(app.path("env"), "TOKEN_BROKER_URL").path("value").asString())
			.isEqualTo("http://[::1]:8080");
	}

	@Test
	void ipv6StandaloneAndNodeListenOnTheIpv6WildcardBehindASingleStackIpv6Service() {
		for (String scenario : List.of("standalone-workload-identity", "node-workload-identity")) {
			Manifests manifests = TokenBrokerChart.render(scenario, Map.of("ipFamily", "ipv6"));
			JsonNode config = manifests.applicationConfig();
			JsonNode service = manifests.one("Service").path("spec");

			assertThat(config.at("/server/address").asString()).as(scenario).isEqualTo("::");
			assertThat(config.at("/management/server/address").asString()).as(scenario).isEqualTo("::");
			assertThat(service.path("ipFamilyPolicy").asString()).as(scenario).isEqualTo("SingleStack");
			assertThat(service.path("ipFamilies").toString()).as(scenario).isEqualTo("[\"IPv6\"]");
		}
	}

	@Test
	void dualStackListensOnTheIpv6WildcardAndKeepsTheSidecarOnTheIpv4Loopback() {
		Manifests standalone = TokenBrokerChart.render("standalone-workload-identity", Map.of("ipFamily", "dual"));
		Manifests sidecar = TokenBrokerChart.renderAppChart(this.workDir, Map.of("token-broker.ipFamily", "dual"));
		JsonNode app = Manifests.container(sidecar.one("Deployment").at("/spec/template/spec"), "containers", "scorer");
		JsonNode service = standalone.one("Service").path("spec");

		// One socket on :: takes IPv4 (as mapped addresses) and IPv6 connections
		assertThat(standalone.applicationConfig().at("/server/address").asString()).isEqualTo("::");
		assertThat(standalone.applicationConfig().at("/management/server/address").asString()).isEqualTo("::");
		assertThat(service.path("ipFamilyPolicy").asString()).isEqualTo("PreferDualStack");
		assertThat(service.path("ipFamilies").toString()).isEqualTo("[\"IPv4\",\"IPv6\"]");
		assertThat(sidecar.applicationConfig().at("/server/address").asString()).isEqualTo("127.0.0.1");
		assertThat(Manifests.named(app.path("env"), "TOKEN_BROKER_URL").path("value").asString())
			.isEqualTo("http://127.0.0.1:8080");
	}

	@Test
	void theRenderedIpv6AddressesBindAsSpringBootBindsThem() {
		Binder sidecar = RenderedConfigurationBindingTests
			.binder(TokenBrokerChart.renderAppChart(this.workDir, Map.of("token-broker.ipFamily", "ipv6"))
				.applicationYaml());
		Binder standalone = RenderedConfigurationBindingTests.binder(
				TokenBrokerChart.render("standalone-workload-identity", Map.of("ipFamily", "ipv6")).applicationYaml());

		InetAddress loopback = sidecar.bind("server.address", InetAddress.class).get();
		InetAddress wildcard = standalone.bind("server.address", InetAddress.class).get();
		InetAddress management = standalone.bind("management.server.address", InetAddress.class).get();

		assertThat(loopback).isInstanceOf(Inet6Address.class);
		assertThat(loopback.isLoopbackAddress()).isTrue();
		assertThat(wildcard).isInstanceOf(Inet6Address.class);
		assertThat(wildcard.isAnyLocalAddress()).isTrue();
		assertThat(management.isAnyLocalAddress()).isTrue();
	}

	@Test
	void anotherFamilyIsRefusedByTheSchema() {
		assertThatException()
			.isThrownBy(() -> TokenBrokerChart.render("standalone-workload-identity", Map.of("ipFamily", "ipv5")))
			.withMessageContaining("ipFamily");
	}

}
