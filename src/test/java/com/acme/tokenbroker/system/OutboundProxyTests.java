package com.acme.tokenbroker.system;

import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Which proxy the broker's outbound clients use, from {@code broker.upstream.proxy} or
 * the environment, and which hosts bypass it. The proxy itself is exercised by
 * {@code it.OutboundProxyIntegrationTests} through a real tinyproxy.
 */
class OutboundProxyTests {

	private static final OutboundProperties.Proxy UNSET = new OutboundProperties.Proxy(null, null, null, null);

	@Test
	void fromWhenNothingSetThenDirect() {
		OutboundProxy proxy = OutboundProxy.from(UNSET, Map.<String, String>of()::get);

		assertThat(proxy.isDirect()).isTrue();
		assertThat(proxy.isProxied(URI.create("https://login.microsoftonline.com/"))).isFalse();
	}

	@Test
	void fromWhenOnlyEnvironmentThenHttpsProxyAndNoProxyWithCredentialsFromTheUrl() {
		Map<String, String> environment = Map.of("HTTPS_PROXY", "http://alice:s%40cret@proxy.corp:3128", "NO_PROXY",
				"localhost,.svc.cluster.local");

		OutboundProxy proxy = OutboundProxy.from(UNSET, environment::get);

		assertThat(proxy.isDirect()).isFalse();
		assertThat(proxy.hasCredentials()).isTrue();
		assertThat(proxy.isProxied(URI.create("https://login.microsoftonline.com/t/oauth2/v2.0/token"))).isTrue();
		assertThat(proxy.isProxied(URI.create("https://localhost:8443/"))).isFalse();
		assertThat(proxy.isProxied(URI.create("https://jwks.ns.svc.cluster.local/keys"))).isFalse();
		assertThat(proxy.toString()).contains("proxy.corp:3128", "HTTPS_PROXY", "alice")
			.doesNotContain("s@cret", "%40");
	}

	@Test
	void fromWhenLowerCaseAndUpperCaseVariablesThenLowerCaseWinsAsInCurl() {
		Map<String, String> environment = Map.of("https_proxy", "http://lower:8080", "HTTPS_PROXY", "http://upper:8080",
				"no_proxy", "lower.example", "NO_PROXY", "upper.example");

		OutboundProxy proxy = OutboundProxy.from(UNSET, environment::get);

		assertThat(proxy.toString()).contains("lower:8080", "https_proxy");
		assertThat(proxy.isProxied(URI.create("https://lower.example/"))).isFalse();
		assertThat(proxy.isProxied(URI.create("https://upper.example/"))).isTrue();
	}

	@Test
	void fromWhenPropertiesSetThenTheyWinOverTheEnvironment() {
		OutboundProperties.Proxy properties = new OutboundProperties.Proxy(URI.create("http://egress:3128"), "broker",
				"from-a-secret", List.of("internal.example"));
		Map<String, String> environment = Map.of("HTTPS_PROXY", "http://other:1", "NO_PROXY", "*");

		OutboundProxy proxy = OutboundProxy.from(properties, environment::get);

		assertThat(proxy.toString()).contains("egress:3128", "broker.upstream.proxy.url", "broker")
			.doesNotContain("from-a-secret");
		assertThat(proxy.isProxied(URI.create("https://management.azure.com/"))).isTrue();
		assertThat(proxy.isProxied(URI.create("https://api.internal.example/"))).isFalse();
	}

	@Test
	void fromWhenNoSchemeAndNoPortThenHttpAndCurlsDefaultPort() {
		OutboundProxy proxy = OutboundProxy.from(UNSET, Map.of("HTTPS_PROXY", "proxy.corp")::get);

		assertThat(proxy.toString()).contains("http://proxy.corp:1080");
	}

	@ParameterizedTest
	@CsvSource({ "https://proxy.corp:3128, must be an http:// proxy URL", "http://proxy.corp:3128/path, without a path",
			"'http://:3128', names no host" })
	void fromWhenBadUrlThenFailsNamingTheSettingNeverTheValue(String url, String reason) {
		OutboundProperties.Proxy properties = new OutboundProperties.Proxy(URI.create(url), null, null, null);

		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> OutboundProxy.from(properties, Map.<String, String>of()::get))
			.withMessageStartingWith("broker.upstream.proxy.url: ")
			.withMessageContaining(reason);
	}

	@Test
	void fromWhenBadEnvironmentValueWithPasswordThenMessageHasNoPassword() {
		Map<String, String> environment = Map.of("HTTPS_PROXY", "https://bob:hunter2@proxy.corp:3128");

		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> OutboundProxy.from(UNSET, environment::get))
			.withMessageStartingWith("HTTPS_PROXY: ")
			.withMessageNotContaining("hunter2");
	}

	@Test
	void fromWhenPasswordWithoutUserThenFails() {
		OutboundProperties.Proxy properties = new OutboundProperties.Proxy(URI.create("http://proxy:3128"), null,
				"secret", null);

		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> OutboundProxy.from(properties, Map.<String, String>of()::get))
			.withMessageStartingWith("broker.upstream.proxy.username: ");
	}

	@Test
	void propertiesToStringHidesThePassword() {
		OutboundProperties.Proxy properties = new OutboundProperties.Proxy(URI.create("http://user:in-url@proxy:3128"),
				"user", "in-property", null);

		assertThat(properties.toString()).doesNotContain("in-url", "in-property").contains("proxy:3128");
	}

	@ParameterizedTest
	@CsvSource({ "*, anything.example, true", "example.com, example.com, true", "example.com, login.example.com, true",
			".example.com, example.com, true", ".example.com, a.b.example.com, true",
			"example.com, notexample.com, false", "*.example.com, login.example.com, true",
			"example.com:443, example.com, true", "10.0.0.0/8, 10.1.2.3, true", "10.0.0.0/8, 11.1.2.3, false",
			"192.168.1.5, 192.168.1.5, true", "192.168.1.5, 192.168.1.6, false", "172.16.0.0/12, 172.31.255.1, true",
			"172.16.0.0/12, 172.32.0.1, false", "'::1', [::1], true", "fd00::/8, [fd12:3456::1], true",
			"fd00::/8, [fe80::1], false", "10.0.0.0/8, ten.example, false", "'', 169.254.169.254, true",
			"'', 127.0.0.1, false", "'localhost, 127.0.0.1', 127.0.0.1, true", "LOCALHOST, localhost, true",
			"example.com, EXAMPLE.COM, true", "example.com, example.com., true" })
	void nonProxyHostsMatchAsCurlDoesWithCidr(String list, String host, boolean direct) {
		assertThat(OutboundProxy.NonProxyHosts.parse(list).matches(host)).isEqualTo(direct);
	}

	@Test
	void applyToRoutesProxiedHostsThroughTheProxyAndTheRestDirectly() {
		OutboundProxy proxy = OutboundProxy.from(UNSET,
				Map.of("HTTPS_PROXY", "http://127.0.0.1:3128", "NO_PROXY", "direct.example")::get);

		HttpClient client = proxy.applyTo(HttpClient.newBuilder()).build();

		assertThat(client.proxy()).isPresent();
		assertThat(client.proxy().get().select(URI.create("https://login.example/"))).singleElement()
			.satisfies((selected) -> assertThat(selected.type()).isEqualTo(Proxy.Type.HTTP));
		assertThat(client.proxy().get().select(URI.create("https://direct.example/"))).containsExactly(Proxy.NO_PROXY);
		assertThat(client.authenticator()).as("an authenticator would strip the bearer headers").isEmpty();
	}

	@Test
	void proxyAuthorizationOnlyForProxiedCallsOfAProxyWithCredentials() {
		OutboundProxy proxy = OutboundProxy.from(UNSET,
				Map.of("HTTPS_PROXY", "http://broker:pa%3Ass@127.0.0.1:3128", "NO_PROXY", "direct.example")::get);
		OutboundProxy open = OutboundProxy.from(UNSET, Map.of("HTTPS_PROXY", "http://127.0.0.1:3128")::get);

		assertThat(proxy.proxyAuthorization(URI.create("https://login.example/token")))
			.isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("broker:pa:ss".getBytes()));
		assertThat(proxy.proxyAuthorization(URI.create("https://api.direct.example/"))).as("never to a direct host")
			.isNull();
		assertThat(open.proxyAuthorization(URI.create("https://login.example/token"))).isNull();
		assertThat(OutboundProxy.DIRECT.proxyAuthorization(URI.create("https://login.example/token"))).isNull();
	}

	@Test
	void describeRefusalNamesTheProxyForTheJdksTunnelFailureOnly() {
		Exception refused = new IllegalStateException(new java.io.IOException("Tunnel failed, got: 407"));

		assertThat(OutboundProxy.describeRefusal(refused))
			.isEqualTo("the outbound proxy refused the tunnel: 407 (check broker.upstream.proxy)");
		assertThat(OutboundProxy.describeRefusal(new java.io.IOException("Connection reset"))).isNull();
	}

	@Test
	void applyToWithCredentialsWhenBasicRefusedForTunnelsThenFailsNamingTheJdkProperty() {
		OutboundProxy proxy = OutboundProxy.from(UNSET, Map.of("HTTPS_PROXY", "http://u:p@127.0.0.1:3128")::get);
		String before = System.getProperty(OutboundProxy.TUNNELING_DISABLED_SCHEMES);
		System.setProperty(OutboundProxy.TUNNELING_DISABLED_SCHEMES, "Digest, Basic");
		try {
			assertThatExceptionOfType(InvalidConfigurationException.class)
				.isThrownBy(() -> proxy.applyTo(HttpClient.newBuilder()))
				.withMessageStartingWith(OutboundProxy.TUNNELING_DISABLED_SCHEMES + ": ");
		}
		finally {
			if (before != null) {
				System.setProperty(OutboundProxy.TUNNELING_DISABLED_SCHEMES, before);
			}
			else {
				System.clearProperty(OutboundProxy.TUNNELING_DISABLED_SCHEMES);
			}
		}
	}

	@Test
	void theTestJvmAllowsBasicForTunnelsAsMainDoes() {
		assertThat(OutboundProxy.isBasicRefusedForTunnels()).as("set by support.ProxyTunnelAuthentication").isFalse();
	}

}
