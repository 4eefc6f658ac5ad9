package com.acme.tokenbroker.it;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.BrokerInstances;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresTinyproxy;
import com.acme.tokenbroker.support.TestTinyproxy;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15, item 6: the broker's Entra ID sign-in (azure-identity on azure-core) and its
 * Azure ML calls (the JDK client) go through the same forward proxy, a real tinyproxy on
 * loopback, whether it comes from {@code broker.upstream.proxy} or from
 * {@code HTTPS_PROXY}/{@code NO_PROXY}; hosts in the non-proxy list go direct; a proxy
 * that wants credentials gets them, and refusing the broker's shows as an upstream error
 * that never prints the password.
 * <p>
 * The simulated Entra ID and regions answer at {@code https://localhost:<port>}; the
 * callers' key set is fetched from {@code https://127.0.0.1:<port>} (the same Entra
 * listener, whose certificate names both) and 127.0.0.1 is a non-proxy host, so a
 * refusing proxy fails the broker's upstream calls, not the check of its callers.
 * <p>
 * The injecting proxy ({@code /services/{service}}) has an HTTP client of its own (Apache
 * HttpClient): it takes the same route, answers the authenticating proxy's 407 with the
 * same credentials, and honours the same non-proxy list. The simulator's scoring URIs are
 * on its region listeners, so a scoring call's tunnel is told from the token fetch's by
 * fetching the token first.
 */
@RequiresTinyproxy
@ExtendWith(OutputCaptureExtension.class)
class OutboundProxyIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final String USER = "broker";

	static final String PASSWORD = TestTinyproxy.newPassword();

	static final String WRONG_PASSWORD = TestTinyproxy.newPassword();

	/** How the broker's log and errors say the proxy refused it. */
	static final String REFUSED = "the outbound proxy refused the tunnel: ";

	static SimulatedWorkspace simulator;

	static TestTinyproxy open;

	static TestTinyproxy authenticating;

	BrokerInstances brokers;

	@BeforeAll
	static void start() {
		simulator = TestWorkspaces.launch(CLOCK);
		open = TestTinyproxy.open();
		authenticating = TestTinyproxy.withBasicAuth(USER, PASSWORD);
	}

	@AfterAll
	static void stop() throws Exception {
		Closeables.closeAll(open, authenticating, simulator);
	}

	@BeforeEach
	void newBrokers() {
		this.brokers = new BrokerInstances(CLOCK);
	}

	@AfterEach
	void closeBrokers() {
		this.brokers.close();
	}

	/** The simulator's Entra ID and westeurope region, as a CONNECT names them. */
	private static List<String> upstreamTargets() {
		return List.of(hostAndPort(simulator.authorityHost()), hostAndPort(simulator.regionEndpoint("westeurope")));
	}

	private static String hostAndPort(URI uri) {
		return uri.getHost() + ":" + uri.getPort();
	}

	private static Map<String, String> brokerProperties() {
		Map<String, String> properties = BrokerInstances
			.properties((registry) -> TestWorkspaces.register(registry, simulator));
		properties.replaceAll((name, value) -> name.startsWith("broker.access.issuers[") && name.endsWith("jwk-set-uri")
				? value.replace("://localhost:", "://127.0.0.1:") : value);
		return properties;
	}

	private Http.Response fetchToken(ConfigurableApplicationContext broker) {
		return new Http(BrokerInstances.port(broker)).get("/tokens/v1-weu", CallerTokens.app(simulator));
	}

	/** The scoring URI of {@code v1-weu}, as a CONNECT names it. */
	private static String scoringTarget() {
		return hostAndPort(simulator.scoringUri(TestWorkspaces.workspaces().get("weu").name(), "v1-weu"));
	}

	private Http.Response score(ConfigurableApplicationContext broker) {
		return new Http(BrokerInstances.port(broker)).postJson("/services/v1-weu", CallerTokens.app(simulator),
				"{\"data\":[[1,2,3]]}");
	}

	/**
	 * The access line of a scoring call answered 200, written once the answer is
	 * complete.
	 */
	private static void awaitScoredAccessLine(CapturedOutput output) {
		await().atMost(Duration.ofSeconds(10))
			.until(() -> output.getAll().contains("proxy caller=app service=v1-weu method=POST path=/ status=200"));
	}

	@Test
	void withTheProxyPropertySignInAndWorkspaceCallsGoThroughTheProxy() {
		Map<String, String> properties = brokerProperties();
		properties.put("broker.upstream.proxy.url", open.url().toString());
		properties.put("broker.upstream.proxy.non-proxy-hosts", "127.0.0.1");
		long entraCalls = simulator.entraCallCount();
		int connectsBefore = open.connects().size();

		Http.Response response = fetchToken(this.brokers.start(properties));

		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(response.json().get("accessToken").stringValue()).isNotBlank();
		assertThat(simulator.entraCallCount()).as("the broker signed in").isGreaterThan(entraCalls);
		List<String> connects = open.connects();
		assertThat(connects.subList(connectsBefore, connects.size())).as("tunnels through the proxy")
			.containsAll(upstreamTargets())
			.allSatisfy((target) -> assertThat(target).startsWith("localhost:"));
	}

	@Test
	void withHttpsProxyAndNoProxyCoveringTheHostsNothingGoesThroughTheProxy() {
		Map<String, String> properties = brokerProperties();
		properties.put("HTTPS_PROXY", open.url().toString());
		properties.put("NO_PROXY", "localhost,127.0.0.1");
		int connectsBefore = open.connects().size();
		long tokenCalls = simulator.callCount("westeurope", Operation.MMS_TOKEN);

		Http.Response response = fetchToken(this.brokers.start(properties));

		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(simulator.callCount("westeurope", Operation.MMS_TOKEN)).isGreaterThan(tokenCalls);
		assertThat(open.connects()).as("no tunnel through the proxy").hasSize(connectsBefore);
	}

	@Test
	void withHttpsProxyCarryingTheRightCredentialsTheAuthenticatingProxyLetsTheBrokerThrough(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("HTTPS_PROXY", "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + authenticating.port());
		properties.put("NO_PROXY", "127.0.0.1");
		int connectsBefore = authenticating.connects().size();

		Http.Response response = fetchToken(this.brokers.start(properties));

		assertThat(response.status()).as(response.body()).isEqualTo(200);
		List<String> connects = authenticating.connects();
		assertThat(connects.subList(connectsBefore, connects.size())).containsAll(upstreamTargets());
		assertThat(output.getAll()).as("the log names the proxy, never its password")
			.contains("127.0.0.1:" + authenticating.port())
			.doesNotContain(PASSWORD);
	}

	@Test
	void withTheRightCredentialsAsPropertiesTheAuthenticatingProxyLetsTheBrokerThrough(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("broker.upstream.proxy.url", authenticating.url().toString());
		properties.put("broker.upstream.proxy.username", USER);
		properties.put("broker.upstream.proxy.password", PASSWORD);
		properties.put("broker.upstream.proxy.non-proxy-hosts", "127.0.0.1");

		Http.Response response = fetchToken(this.brokers.start(properties));

		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(output.getAll()).doesNotContain(PASSWORD);
	}

	@Test
	void withTheWrongPasswordTheBrokerFailsClearlyAndNeverLogsAPassword(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("broker.upstream.proxy.url", authenticating.url().toString());
		properties.put("broker.upstream.proxy.username", USER);
		properties.put("broker.upstream.proxy.password", WRONG_PASSWORD);
		properties.put("broker.upstream.proxy.non-proxy-hosts", "127.0.0.1");
		long entraCalls = simulator.entraCallCount();
		long tokenCalls = simulator.callCount("westeurope", Operation.MMS_TOKEN);

		ConfigurableApplicationContext broker = this.brokers.start(properties);
		Http.Response first = fetchToken(broker);
		await().atMost(Duration.ofSeconds(30)).until(() -> output.getAll().contains(REFUSED));
		Http.Response response = fetchToken(broker);

		assertThat(first.status()).as(first.body()).isEqualTo(503);
		assertThat(response.status()).as(response.body()).isEqualTo(503);
		assertThat(response.json().get("type").stringValue()).as("an unavailable upstream, not a rejected principal")
			.isEqualTo("urn:token-broker:problem:upstream-unavailable");
		assertThat(simulator.entraCallCount()).as("the proxy let nothing through").isEqualTo(entraCalls);
		assertThat(simulator.callCount("westeurope", Operation.MMS_TOKEN)).isEqualTo(tokenCalls);
		assertThat(authenticating.connects()).contains(hostAndPort(simulator.authorityHost()));
		int managementPort = broker.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
		assertThat(new Http(managementPort).get("/actuator/health/readiness", null).status()).isEqualTo(503);
		assertThat(output.getAll()).doesNotContain(WRONG_PASSWORD).doesNotContain(PASSWORD);
	}

	@Test
	void withoutCredentialsTheAuthenticatingProxyRefusesTheBroker(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("broker.upstream.proxy.url", authenticating.url().toString());
		properties.put("broker.upstream.proxy.non-proxy-hosts", "127.0.0.1");
		long entraCalls = simulator.entraCallCount();

		ConfigurableApplicationContext broker = this.brokers.start(properties);
		fetchToken(broker);
		await().atMost(Duration.ofSeconds(30)).until(() -> output.getAll().contains(REFUSED + "407"));
		Http.Response response = fetchToken(broker);

		assertThat(response.status()).as(response.body()).isEqualTo(503);
		assertThat(response.json().get("type").stringValue())
			.isEqualTo("urn:token-broker:problem:upstream-unavailable");
		assertThat(simulator.entraCallCount()).isEqualTo(entraCalls);
	}

	@Test
	void withTheRightCredentialsProxiedScoringCallsTunnelThroughTheAuthenticatingProxy(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("broker.upstream.proxy.url", authenticating.url().toString());
		properties.put("broker.upstream.proxy.username", USER);
		properties.put("broker.upstream.proxy.password", PASSWORD);
		properties.put("broker.upstream.proxy.non-proxy-hosts", "127.0.0.1");
		ConfigurableApplicationContext broker = this.brokers.start(properties);
		Http.Response token = fetchToken(broker);
		int connectsBefore = authenticating.connects().size();
		long entraCalls = simulator.entraCallCount();
		long tokenCalls = simulator.callCount("westeurope", Operation.MMS_TOKEN);
		long scored = simulator.callCount("westeurope", Operation.SCORE);

		Http.Response response = score(broker);

		assertThat(token.status()).as(token.body()).isEqualTo(200);
		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(response.json().get("score").isNumber()).as(response.body()).isTrue();
		assertThat(simulator.callCount("westeurope", Operation.SCORE)).isEqualTo(scored + 1);
		assertThat(simulator.entraCallCount()).as("the credential was the cached one").isEqualTo(entraCalls);
		assertThat(simulator.callCount("westeurope", Operation.MMS_TOKEN)).isEqualTo(tokenCalls);
		List<String> connects = authenticating.connects();
		assertThat(connects.subList(connectsBefore, connects.size())).as("the scoring call's tunnel")
			.contains(scoringTarget());
		awaitScoredAccessLine(output);
		assertThat(output.getAll()).doesNotContain(PASSWORD);
	}

	@Test
	void withNoProxyCoveringTheScoringHostProxiedScoringCallsGoDirect(CapturedOutput output) {
		Map<String, String> properties = brokerProperties();
		properties.put("HTTPS_PROXY", "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + authenticating.port());
		// the scoring URIs are on localhost, as are the simulator's Entra ID and regions
		properties.put("NO_PROXY", "localhost,127.0.0.1");
		int connectsBefore = authenticating.connects().size();
		long scored = simulator.callCount("westeurope", Operation.SCORE);

		Http.Response response = score(this.brokers.start(properties));

		assertThat(response.status()).as(response.body()).isEqualTo(200);
		assertThat(simulator.callCount("westeurope", Operation.SCORE)).isEqualTo(scored + 1);
		assertThat(authenticating.connects()).as("no tunnel through the proxy").hasSize(connectsBefore);
		awaitScoredAccessLine(output);
		assertThat(output.getAll()).doesNotContain(PASSWORD);
	}

}
