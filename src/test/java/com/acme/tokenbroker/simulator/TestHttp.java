package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static com.acme.tokenbroker.simulator.Fixtures.API_VERSION;
import static com.acme.tokenbroker.simulator.Fixtures.RESOURCE_GROUP;
import static com.acme.tokenbroker.simulator.Fixtures.SUBSCRIPTION;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JDK {@link HttpClient} that trusts the simulator, and the URLs of its operations.
 */
final class TestHttp {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private final SimulatedWorkspace sim;

	private final HttpClient client;

	TestHttp(SimulatedWorkspace sim) {
		this.sim = sim;
		this.client = HttpClient.newBuilder()
			.sslContext(sim.clientSslContext())
			.connectTimeout(Duration.ofSeconds(5))
			.version(HttpClient.Version.HTTP_1_1)
			.build();
	}

	HttpClient client() {
		return this.client;
	}

	HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return this.client.send(request, HttpResponse.BodyHandlers.ofString());
	}

	HttpResponse<String> post(URI uri, String bearer) throws IOException, InterruptedException {
		return send(request(uri, bearer).POST(HttpRequest.BodyPublishers.noBody()).build());
	}

	HttpResponse<String> get(URI uri, String bearer) throws IOException, InterruptedException {
		return send(request(uri, bearer).GET().build());
	}

	HttpResponse<String> postJson(URI uri, String bearer, String json) throws IOException, InterruptedException {
		return send(request(uri, bearer).header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build());
	}

	HttpResponse<String> form(Map<String, String> parameters) throws IOException, InterruptedException {
		return send(formRequest(this.sim.tokenEndpoint(), parameters).build());
	}

	static HttpRequest.Builder request(URI uri, String bearer) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
		if (bearer != null) {
			builder.header("Authorization", "Bearer " + bearer);
		}
		return builder;
	}

	static HttpRequest.Builder formRequest(URI uri, Map<String, String> parameters) {
		String body = parameters.entrySet()
			.stream()
			.map((e) -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
					+ URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
			.collect(Collectors.joining("&"));
		return HttpRequest.newBuilder(uri)
			.timeout(Duration.ofSeconds(10))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body));
	}

	/**
	 * Fetch an ARM token for a client-secret principal with a raw form post.
	 */
	String entraToken(String clientId, String secret) throws IOException, InterruptedException {
		return entraToken(clientId, secret, Fixtures.ARM_SCOPE);
	}

	/**
	 * Fetch an Entra access token for any scope with a raw form post.
	 */
	String entraToken(String clientId, String secret, String scope) throws IOException, InterruptedException {
		HttpResponse<String> response = form(Map.of("grant_type", "client_credentials", "client_id", clientId,
				"client_secret", secret, "scope", scope));
		if (response.statusCode() != 200) {
			throw new IllegalStateException("Entra answered " + response.statusCode());
		}
		return json(response).get("access_token").stringValue();
	}

	static JsonNode json(HttpResponse<String> response) {
		return JSON.readTree(response.body());
	}

	/**
	 * Assert an MMS v1 error answer: its status and the {@code code} of its
	 * ModelErrorResponse body.
	 */
	static void assertMmsError(HttpResponse<String> response, int status, String code) {
		assertThat(response.statusCode()).isEqualTo(status);
		assertThat(json(response).get("code").stringValue()).isEqualTo(code);
	}

	/**
	 * Assert an ARM error answer: its status and the {@code error.code} of its body.
	 */
	static void assertArmError(HttpResponse<String> response, int status, String code) {
		assertThat(response.statusCode()).isEqualTo(status);
		assertThat(json(response).get("error").get("code").stringValue()).isEqualTo(code);
	}

	static com.azure.core.http.HttpClient azureHttpClient(SimulatedWorkspace sim) {
		return new JdkHttpClientBuilder(HttpClient.newBuilder().sslContext(sim.clientSslContext())).build();
	}

	/**
	 * Fetch an ARM token through azure-identity's {@code ClientSecretCredential}.
	 */
	static String credentialToken(SimulatedWorkspace sim, String clientId, String secret) {
		return new ClientSecretCredentialBuilder().clientId(clientId)
			.clientSecret(secret)
			.tenantId(sim.tenantId())
			.authorityHost(sim.authorityHost().toString())
			.disableInstanceDiscovery()
			.httpClient(azureHttpClient(sim))
			.build()
			.getTokenSync(new TokenRequestContext().addScopes(Fixtures.ARM_SCOPE))
			.getToken();
	}

	// ---- URLs

	URI mmsService(String region, String workspace, String service) {
		return URI.create(this.sim.regionEndpoint(region) + mmsPath(workspace, service));
	}

	URI mmsToken(String region, String workspace, String service) {
		return URI.create(this.sim.regionEndpoint(region) + mmsPath(workspace, service) + "/token");
	}

	/**
	 * {@code {svc}/listkeys}, {@code {svc}/regenerateKeys}, ...: an MMS action on a
	 * service.
	 */
	URI mmsAction(String region, String workspace, String service, String action) {
		return URI.create(this.sim.regionEndpoint(region) + mmsPath(workspace, service) + "/" + action);
	}

	/**
	 * {@code BASE/listKeys?api-version=...}, ...: an ARM action on an online endpoint.
	 */
	URI armAction(String region, String workspace, String endpoint, String action) {
		return URI.create(this.sim.regionEndpoint(region) + armPath(workspace, endpoint) + "/" + action
				+ "?api-version=" + API_VERSION);
	}

	URI armEndpoint(String region, String workspace, String endpoint) {
		return URI
			.create(this.sim.regionEndpoint(region) + armPath(workspace, endpoint) + "?api-version=" + API_VERSION);
	}

	URI armToken(String region, String workspace, String endpoint) {
		return URI.create(
				this.sim.regionEndpoint(region) + armPath(workspace, endpoint) + "/token?api-version=" + API_VERSION);
	}

	URI armTokenWithoutApiVersion(String region, String workspace, String endpoint) {
		return URI.create(this.sim.regionEndpoint(region) + armPath(workspace, endpoint) + "/token");
	}

	static String mmsPath(String workspace, String service) {
		return "/modelmanagement/v1.0/subscriptions/" + SUBSCRIPTION + "/resourceGroups/" + RESOURCE_GROUP
				+ "/providers/Microsoft.MachineLearningServices/workspaces/" + workspace + "/services/" + service;
	}

	static String armPath(String workspace, String endpoint) {
		return "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/" + RESOURCE_GROUP
				+ "/providers/Microsoft.MachineLearningServices/workspaces/" + workspace + "/onlineEndpoints/"
				+ endpoint;
	}

}
