package com.acme.tokenbroker.principal;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.CatalogProperties;
import com.acme.tokenbroker.catalog.Cloud;
import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code broker.cloud} presets the Entra authority, the Resource Manager host and scope,
 * the Azure ML scope and the model-management host of each workspace (issue 15, item 7);
 * a property naming one of them wins, and an authority from the environment must be the
 * cloud's.
 */
class CloudPresetsTests {

	private static final String TENANT = "00000000-0000-0000-0000-000000000015";

	private static final String SECRET = "cloud~secret-" + java.util.UUID.randomUUID();

	static {
		SecretLedger.record(SECRET);
	}

	/** A workspace and the broker's identity, as the broker resolves them. */
	record Resolved(ServiceCatalog catalog, WorkspaceDescriptor workspace, IdentityProperties identity) {
	}

	private static Resolved bind(String environmentAuthority, String... properties) {
		Map<String, String> source = new LinkedHashMap<>();
		source.put("broker.workspaces.ws.subscription-id", "sub");
		source.put("broker.workspaces.ws.resource-group", "rg");
		source.put("broker.workspaces.ws.name", "ws");
		source.put("broker.workspaces.ws.region", "westeurope");
		for (String property : properties) {
			String[] pair = property.split("=", 2);
			source.put(pair[0], pair[1]);
		}
		Binder binder = new Binder(new MapConfigurationPropertySource(source));
		ServiceCatalog catalog = new ServiceCatalog(binder.bindOrCreate("broker", CatalogProperties.class));
		IdentityProperties identity = binder.bindOrCreate("broker.identity", IdentityProperties.class)
			.inCloud("broker.identity", catalog.cloud(), environmentAuthority);
		return new Resolved(catalog, catalog.workspaces().iterator().next(), identity);
	}

	@ParameterizedTest
	@CsvSource({
			"public, chinanorth3, https://login.microsoftonline.com/, https://management.azure.com, "
					+ "https://management.azure.com/.default, https://ml.azure.com/.default, "
					+ "https://chinanorth3.api.azureml.ms",
			"china, chinanorth3, https://login.chinacloudapi.cn/, https://management.chinacloudapi.cn, "
					+ "https://management.chinacloudapi.cn/.default, https://ml.azure.cn/.default, "
					+ "https://chinanorth3.api.ml.azure.cn",
			"us-government, usgovvirginia, https://login.microsoftonline.us/, https://management.usgovcloudapi.net, "
					+ "https://management.usgovcloudapi.net/.default, https://ml.azure.us/.default, "
					+ "https://usgovvirginia.api.ml.azure.us",
			"US_GOVERNMENT, usgovarizona, https://login.microsoftonline.us/, https://management.usgovcloudapi.net, "
					+ "https://management.usgovcloudapi.net/.default, https://ml.azure.us/.default, "
					+ "https://usgovarizona.api.ml.azure.us" })
	void eachCloudPresetsTheAuthorityTheHostsAndTheScopes(String cloud, String region, String authority, String arm,
			String armScope, String machineLearningScope, String mms) {
		Resolved resolved = bind(null, "broker.cloud=" + cloud, "broker.workspaces.ws.region=" + region);

		assertThat(resolved.catalog().cloud()).isEqualTo(Cloud.of(cloud));
		assertThat(resolved.identity().authorityHost()).hasToString(authority);
		assertThat(resolved.workspace().armHost()).hasToString(arm);
		assertThat(resolved.identity().scope()).isEqualTo(armScope);
		assertThat(resolved.identity().dataPlaneScope()).isEqualTo(machineLearningScope);
		assertThat(resolved.workspace().mmsHost()).hasToString(mms);
	}

	@Test
	void withoutACloudTheBrokerIsInThePublicCloudAsBefore() {
		Resolved resolved = bind(null);

		assertThat(resolved.catalog().cloud()).isEqualTo(Cloud.PUBLIC);
		assertThat(resolved.identity().authorityHost()).hasToString("https://login.microsoftonline.com/");
		assertThat(resolved.workspace().mmsHost()).hasToString("https://westeurope.api.azureml.ms");
		assertThat(resolved.workspace().armHost()).hasToString("https://management.azure.com");
		assertThat(resolved.identity().scope()).isEqualTo("https://management.azure.com/.default");
		assertThat(resolved.identity().dataPlaneScope()).isEqualTo("https://ml.azure.com/.default");
	}

	@Test
	void aPropertyNamingAHostOrScopeWinsOverTheCloud() {
		Resolved resolved = bind("https://login.microsoftonline.com/", "broker.cloud=china",
				"broker.workspaces.ws.mms-host=https://127.0.0.1:8443",
				"broker.workspaces.ws.arm-host=https://arm.private.example/",
				"broker.identity.authority-host=https://login.private.example/",
				"broker.identity.scope=https://management.core.chinacloudapi.cn//.default",
				"broker.identity.data-plane-scope=https://ml.private.example/.default");

		assertThat(resolved.workspace().mmsHost()).hasToString("https://127.0.0.1:8443");
		assertThat(resolved.workspace().armHost()).hasToString("https://arm.private.example");
		assertThat(resolved.identity().authorityHost()).hasToString("https://login.private.example/");
		assertThat(resolved.identity().scope()).isEqualTo("https://management.core.chinacloudapi.cn//.default");
		assertThat(resolved.identity().dataPlaneScope()).isEqualTo("https://ml.private.example/.default");
	}

	@Test
	void anUnknownCloudStopsTheBootNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> bind(null, "broker.cloud=germany"))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.cloud"))
			.withMessageContaining("'germany'")
			.withMessageContaining("public, china, us-government");
	}

	@Test
	void anAuthorityFromTheEnvironmentIsUsedWhenItIsTheClouds() {
		Resolved resolved = bind("https://login.chinacloudapi.cn", "broker.cloud=china");

		assertThat(resolved.identity().authorityHost()).hasToString("https://login.chinacloudapi.cn");
	}

	@Test
	void anAuthorityFromTheEnvironmentOfAnotherCloudStopsTheBootNamingTheCloud() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> bind("https://login.chinacloudapi.cn/"))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.cloud"))
			.withMessageContaining("AZURE_AUTHORITY_HOST")
			.withMessageContaining("broker.identity.authority-host");
	}

	@Test
	void furtherIdentitiesTakeTheCloudsScopesAndTheDefaultIdentitysAuthority() {
		Binder binder = new Binder(new MapConfigurationPropertySource(Map.of("broker.identities.team-b.mode",
				"workload-identity", "broker.identity.authority-host", "https://login.private.example/")));
		IdentityProperties base = binder.bindOrCreate("broker.identity", IdentityProperties.class);
		IdentitiesProperties others = binder.bindOrCreate("broker", IdentitiesProperties.class);

		IdentityProperties teamB = others.identities()
			.get("team-b")
			.inheriting(base)
			.inCloud("broker.identities.team-b", Cloud.US_GOVERNMENT, null);

		assertThat(teamB.authorityHost()).hasToString("https://login.private.example/");
		assertThat(teamB.scope()).isEqualTo("https://management.usgovcloudapi.net/.default");
		assertThat(teamB.dataPlaneScope()).isEqualTo("https://ml.azure.us/.default");
	}

	/**
	 * Through the factory the broker's identities are built with: azure-identity's
	 * credential signs in at the cloud's authority, for the cloud's scope, and sends
	 * nothing anywhere else.
	 */
	@ParameterizedTest
	@EnumSource(Cloud.class)
	void theCredentialSignsInAtTheCloudsAuthorityForTheCloudsScope(Cloud cloud) {
		IdentityProperties identity = bind(null, "broker.cloud=" + cloud.value(), "broker.identity.mode=client-secret",
				"broker.identity.tenant-id=" + TENANT, "broker.identity.client-id=broker",
				"broker.identity.client-secret=" + SECRET, "broker.identity.disable-instance-discovery=true")
			.identity();
		RecordingHttpClient http = new RecordingHttpClient();

		String token = PrincipalConfiguration.credentialSupplier(identity, http)
			.get()
			.getTokenSync(new TokenRequestContext().addScopes(identity.scope()))
			.getToken();

		assertThat(token).isEqualTo(RecordingHttpClient.TOKEN);
		assertThat(http.urls).containsExactly(cloud.authorityHost().resolve(TENANT + "/oauth2/v2.0/token"));
		assertThat(scopes(http.bodies.get(0))).contains(cloud.armScope());
	}

	/** The scopes of a token request's form (MSAL adds OpenID's, in no fixed order). */
	private static List<String> scopes(String form) {
		for (String parameter : form.split("&")) {
			if (parameter.startsWith("scope=")) {
				return List
					.of(URLDecoder.decode(parameter.substring("scope=".length()), StandardCharsets.UTF_8).split(" "));
			}
		}
		return List.of();
	}

	/** Answers every request with an Entra token response, and records where it went. */
	static final class RecordingHttpClient implements HttpClient {

		static final String TOKEN = "recorded-cloud-token";

		final List<URI> urls = new ArrayList<>();

		final List<String> bodies = new ArrayList<>();

		@Override
		public Mono<HttpResponse> send(HttpRequest request) {
			try {
				this.urls.add(request.getUrl().toURI());
			}
			catch (java.net.URISyntaxException ex) {
				throw new IllegalStateException(ex);
			}
			this.bodies.add((request.getBodyAsBinaryData() != null) ? request.getBodyAsBinaryData().toString() : "");
			return Mono.just(new TokenResponse(request));
		}

	}

	static final class TokenResponse extends HttpResponse {

		private static final byte[] BODY = ("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
				+ "\"access_token\":\"" + RecordingHttpClient.TOKEN + "\"}")
			.getBytes(StandardCharsets.UTF_8);

		private final HttpHeaders headers = new HttpHeaders().set(HttpHeaderName.CONTENT_TYPE,
				"application/json; charset=utf-8");

		TokenResponse(HttpRequest request) {
			super(request);
		}

		@Override
		public int getStatusCode() {
			return 200;
		}

		@Override
		@Deprecated
		public String getHeaderValue(String name) {
			return this.headers.getValue(HttpHeaderName.fromString(name));
		}

		@Override
		public HttpHeaders getHeaders() {
			return this.headers;
		}

		@Override
		public Flux<ByteBuffer> getBody() {
			return Flux.just(ByteBuffer.wrap(BODY));
		}

		@Override
		public Mono<byte[]> getBodyAsByteArray() {
			return Mono.just(BODY);
		}

		@Override
		public Mono<String> getBodyAsString() {
			return Mono.just(new String(BODY, StandardCharsets.UTF_8));
		}

		@Override
		public Mono<String> getBodyAsString(Charset charset) {
			return Mono.just(new String(BODY, charset));
		}

	}

}
