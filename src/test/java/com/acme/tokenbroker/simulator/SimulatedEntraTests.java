package com.acme.tokenbroker.simulator;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.AadCredentialBuilderBase;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.ARM_SCOPE;
import static com.acme.tokenbroker.simulator.Fixtures.CERT_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.ENDPOINT;
import static com.acme.tokenbroker.simulator.Fixtures.NO_ROLE_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET;
import static com.acme.tokenbroker.simulator.Fixtures.SECRET_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WI_CLIENT;
import static com.acme.tokenbroker.simulator.Fixtures.WI_NAMESPACE;
import static com.acme.tokenbroker.simulator.Fixtures.WI_SERVICE_ACCOUNT;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulated Entra token endpoint, driven by raw form posts and by azure-identity's
 * real credentials.
 */
class SimulatedEntraTests extends AbstractStandardWorkspaceTests {

	@Test
	void tokenWhenClientSecretIsValidThenIssuesAccessTokenSignedByTenantKey() throws Exception {
		Instant now = this.clock.instant();

		HttpResponse<String> response = this.http.form(secretForm(SECRET_CLIENT, SECRET, ARM_SCOPE));

		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode body = TestHttp.json(response);
		assertThat(body.get("token_type").stringValue()).isEqualTo("Bearer");
		assertThat(body.get("expires_in").longValue()).isEqualTo(3599);
		assertThat(body.get("ext_expires_in").longValue()).isEqualTo(3599);
		SignedJWT jwt = SignedJWT.parse(body.get("access_token").stringValue());
		JWKSet keys = JWKSet.parse(this.http.get(this.sim.entraJwksUri(), null).body());
		RSAKey key = (RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID());
		assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
		assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
		JWTClaimsSet claims = jwt.getJWTClaimsSet();
		assertThat(claims.getIssuer()).isEqualTo(this.sim.entraIssuer());
		assertThat(claims.getAudience()).containsExactly("https://management.azure.com");
		assertThat(claims.getStringClaim("appid")).isEqualTo(SECRET_CLIENT);
		assertThat(claims.getStringClaim("azp")).isEqualTo(SECRET_CLIENT);
		assertThat(claims.getStringClaim("tid")).isEqualTo(this.sim.tenantId());
		assertThat(claims.getStringClaim("oid")).isNotBlank();
		assertThat(claims.getIssueTime().toInstant()).isEqualTo(now);
		assertThat(claims.getNotBeforeTime().toInstant()).isEqualTo(now);
		assertThat(claims.getExpirationTime().toInstant()).isEqualTo(now.plusSeconds(3599));
		assertThat(this.issued).contains(body.get("access_token").stringValue());
	}

	@Test
	void tokenWhenSamePrincipalAsksTwiceThenObjectIdIsStable() throws Exception {
		String first = this.http.entraToken(SECRET_CLIENT, SECRET);
		String second = this.http.entraToken(SECRET_CLIENT, SECRET);

		assertThat(first).isNotEqualTo(second);
		assertThat(SignedJWT.parse(first).getJWTClaimsSet().getStringClaim("oid"))
			.isEqualTo(SignedJWT.parse(second).getJWTClaimsSet().getStringClaim("oid"));
	}

	@Test
	void tokenWhenScopeIsCoreWindowsVariantThenAudienceKeepsTrailingSlash() throws Exception {
		HttpResponse<String> response = this.http
			.form(secretForm(SECRET_CLIENT, SECRET, "https://management.core.windows.net//.default"));

		assertThat(response.statusCode()).isEqualTo(200);
		SignedJWT jwt = SignedJWT.parse(TestHttp.json(response).get("access_token").stringValue());
		assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("https://management.core.windows.net/");
	}

	@Test
	void tokenWhenScopeIsMlDefaultThenAudienceIsMlAzureComAndAadTokenEndpointAcceptsIt() throws Exception {
		Instant now = this.clock.instant();

		HttpResponse<String> response = this.http.form(secretForm(SECRET_CLIENT, SECRET, Fixtures.ML_SCOPE));

		assertThat(response.statusCode()).isEqualTo(200);
		String token = TestHttp.json(response).get("access_token").stringValue();
		JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
		assertThat(claims.getAudience()).containsExactly("https://ml.azure.com");
		assertThat(claims.getIssuer()).isEqualTo(this.sim.entraIssuer());
		assertThat(claims.getExpirationTime().toInstant()).isEqualTo(now.plusSeconds(3599));
		assertThat(this.http.post(this.sim.scoringUri(WORKSPACE, Fixtures.AAD_ENDPOINT), token).statusCode())
			.isEqualTo(200);
		assertThat(this.issued).contains(token);
	}

	@Test
	void tokenWhenHttpBasicCarriesSecretThenIssues() throws Exception {
		String basic = java.util.Base64.getEncoder()
			.encodeToString((SECRET_CLIENT + ":" + java.net.URLEncoder.encode(SECRET, "UTF-8")).getBytes());

		HttpResponse<String> response = this.http.send(TestHttp
			.formRequest(this.sim.tokenEndpoint(), Map.of("grant_type", "client_credentials", "scope", ARM_SCOPE))
			.header("Authorization", "Basic " + basic)
			.build());

		assertThat(response.statusCode()).isEqualTo(200);
	}

	@Test
	void tokenWhenSecretIsWrongThenAnswers400InvalidClientWithoutEchoingIt() throws Exception {
		HttpResponse<String> response = this.http.form(secretForm(SECRET_CLIENT, "wrong-secret-value", ARM_SCOPE));

		assertThat(response.statusCode()).isEqualTo(400);
		JsonNode body = TestHttp.json(response);
		assertThat(body.get("error").stringValue()).isEqualTo("invalid_client");
		assertThat(body.get("error_description").stringValue()).startsWith("AADSTS7000215:");
		assertThat(body.get("error_codes").get(0).intValue()).isEqualTo(7000215);
		assertThat(body.propertyNames()).contains("timestamp", "trace_id", "correlation_id");
		assertThat(response.body()).doesNotContain("wrong-secret-value").doesNotContain(SECRET);
	}

	@Test
	void tokenWhenScopeLacksDefaultSuffixThenAnswersInvalidScope() throws Exception {
		HttpResponse<String> response = this.http
			.form(secretForm(SECRET_CLIENT, SECRET, "https://management.azure.com/user_impersonation"));

		assertRejected(response, "invalid_scope");
	}

	@Test
	void tokenWhenTwoScopesThenAnswersInvalidScope() throws Exception {
		HttpResponse<String> response = this.http
			.form(secretForm(SECRET_CLIENT, SECRET, ARM_SCOPE + " https://ml.azure.com/.default"));

		assertRejected(response, "invalid_scope");
	}

	@Test
	void tokenWhenGrantTypeMissingOrOtherThenRejects() throws Exception {
		Map<String, String> missing = secretForm(SECRET_CLIENT, SECRET, ARM_SCOPE);
		missing.remove("grant_type");
		Map<String, String> other = secretForm(SECRET_CLIENT, SECRET, ARM_SCOPE);
		other.put("grant_type", "password");

		HttpResponse<String> missingResponse = this.http.form(missing);
		HttpResponse<String> otherResponse = this.http.form(other);

		assertRejected(missingResponse, "invalid_request");
		assertRejected(otherResponse, "unsupported_grant_type");
	}

	@Test
	void tokenWhenClientUnknownThenAnswersUnauthorizedClient() throws Exception {
		HttpResponse<String> response = this.http.form(secretForm("nobody", SECRET, ARM_SCOPE));

		assertRejected(response, "unauthorized_client");
	}

	@Test
	void tokenWhenNoClientCredentialThenAnswersInvalidClient() throws Exception {
		Map<String, String> form = secretForm(SECRET_CLIENT, SECRET, ARM_SCOPE);
		form.remove("client_secret");

		HttpResponse<String> response = this.http.form(form);

		assertRejected(response, "invalid_client");
	}

	@Test
	void tokenWhenCertificateAssertionIsPs256WithSha256ThumbprintThenIssues() throws Exception {
		String assertion = assertion(JWSAlgorithm.PS256, true, (RSAPrivateKey) this.clientCertificate.privateKey(),
				this.sim.tokenEndpoint().toString(), Instant.now().plusSeconds(600));

		HttpResponse<String> response = this.http.form(assertionForm(CERT_CLIENT, assertion));

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(SignedJWT.parse(TestHttp.json(response).get("access_token").stringValue())
			.getJWTClaimsSet()
			.getStringClaim("appid")).isEqualTo(CERT_CLIENT);
	}

	@Test
	void tokenWhenCertificateAssertionIsRs256WithSha1ThumbprintThenIssues() throws Exception {
		String assertion = assertion(JWSAlgorithm.RS256, false, (RSAPrivateKey) this.clientCertificate.privateKey(),
				this.sim.tokenEndpoint().toString(), Instant.now().plusSeconds(600));

		HttpResponse<String> response = this.http.form(assertionForm(CERT_CLIENT, assertion));

		assertThat(response.statusCode()).isEqualTo(200);
	}

	@Test
	void tokenWhenCertificateAssertionSignedByAnotherKeyThenAnswersInvalidClient() throws Exception {
		SelfSignedCertificate other = SelfSignedCertificate.forClient("intruder");
		String assertion = assertion(JWSAlgorithm.PS256, true, (RSAPrivateKey) other.privateKey(),
				this.sim.tokenEndpoint().toString(), Instant.now().plusSeconds(600));

		HttpResponse<String> response = this.http.form(assertionForm(CERT_CLIENT, assertion));

		assertRejected(response, "invalid_client");
	}

	@Test
	void tokenWhenCertificateAssertionHasWrongAudienceOrIsExpiredThenAnswersInvalidClient() throws Exception {
		RSAPrivateKey key = (RSAPrivateKey) this.clientCertificate.privateKey();
		String wrongAudience = assertion(JWSAlgorithm.PS256, true, key, "https://login.example/token",
				Instant.now().plusSeconds(600));
		this.clock.advance(Duration.ofHours(2));
		String expired = assertion(JWSAlgorithm.PS256, true, key, this.sim.tokenEndpoint().toString(),
				Instant.now().minusSeconds(60));

		HttpResponse<String> wrongAudienceResponse = this.http.form(assertionForm(CERT_CLIENT, wrongAudience));
		HttpResponse<String> expiredResponse = this.http.form(assertionForm(CERT_CLIENT, expired));

		assertThat(wrongAudienceResponse.statusCode()).isEqualTo(400);
		assertThat(expiredResponse.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(expiredResponse).get("error_codes").get(0).intValue()).isEqualTo(700024);
	}

	@Test
	void tokenWhenFederatedAssertionExpiredByClockThenAnswersInvalidClient() throws Exception {
		String saToken = this.sim.mintServiceAccountToken(WI_NAMESPACE, WI_SERVICE_ACCOUNT,
				SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE, Duration.ofMinutes(10));
		this.clock.advance(Duration.ofMinutes(11));

		HttpResponse<String> response = this.http.form(assertionForm(WI_CLIENT, saToken));

		assertRejected(response, "invalid_client");
		assertThat(TestHttp.json(response).get("error_codes").get(0).intValue()).isEqualTo(700024);
	}

	@Test
	void tokenWhenFederatedAssertionHasWrongAudienceThenAnswersInvalidClient() throws Exception {
		String saToken = this.sim.mintServiceAccountToken(WI_NAMESPACE, WI_SERVICE_ACCOUNT, "https://kubernetes",
				Duration.ofMinutes(10));

		HttpResponse<String> response = this.http.form(assertionForm(WI_CLIENT, saToken));

		assertRejected(response, "invalid_client");
	}

	@Test
	void clientSecretCredentialWhenSecretIsValidThenTokenWorksAgainstMmsAndArm() throws Exception {
		AccessToken token = onSimulator(new ClientSecretCredentialBuilder()).clientId(SECRET_CLIENT)
			.clientSecret(SECRET)
			.build()
			.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE));

		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), token.getToken()).statusCode())
			.isEqualTo(201);
		assertThat(this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), token.getToken()).statusCode())
			.isEqualTo(200);
		assertThat(this.sim.entraCallCount()).isEqualTo(1);
		assertThat(this.issued).contains(token.getToken());
	}

	@Test
	void clientSecretCredentialWhenSecretIsWrongThenThrowsAndEntraAnswered400() {
		var credential = onSimulator(new ClientSecretCredentialBuilder()).clientId(SECRET_CLIENT)
			.clientSecret("definitely-wrong")
			.build();

		// getTokenSync surfaces MSAL's MsalServiceException wrapped in RuntimeExceptions.
		assertThatThrownBy(() -> credential.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE))).rootCause()
			.hasMessageStartingWith("AADSTS7000215:");
		RecordedExchange exchange = lastTokenExchange();
		assertThat(exchange.status()).isEqualTo(400);
		assertThat(exchange.responseBody()).contains("\"invalid_client\"");
	}

	@Test
	void clientCertificateCredentialWhenCertificateIsRegisteredThenTokenWorksAgainstMms(@TempDir Path dir)
			throws Exception {
		Path pem = Fixtures.writePem(this.clientCertificate, dir);

		AccessToken token = onSimulator(new ClientCertificateCredentialBuilder()).clientId(CERT_CLIENT)
			.pemCertificate(pem.toString())
			.build()
			.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE));

		assertThat(SignedJWT.parse(token.getToken()).getJWTClaimsSet().getStringClaim("appid")).isEqualTo(CERT_CLIENT);
		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), token.getToken()).statusCode())
			.isEqualTo(201);
		assertThat(lastTokenExchange().requestBody()).contains("client_assertion=");
	}

	@Test
	void clientCertificateCredentialWhenCertificateIsUnknownThenThrows(@TempDir Path dir) throws Exception {
		Path pem = Fixtures.writePem(SelfSignedCertificate.forClient("stranger"), dir);
		var credential = onSimulator(new ClientCertificateCredentialBuilder()).clientId(CERT_CLIENT)
			.pemCertificate(pem.toString())
			.build();

		assertThatThrownBy(() -> credential.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE))).rootCause()
			.hasMessageStartingWith("AADSTS700027:");
		assertThat(lastTokenExchange().status()).isEqualTo(400);
	}

	@Test
	void workloadIdentityCredentialWhenServiceAccountMatchesThenTokenWorksAgainstArm(@TempDir Path dir)
			throws Exception {
		Path tokenFile = dir.resolve("azure-identity-token");
		Files.writeString(tokenFile, this.sim.mintServiceAccountToken(WI_NAMESPACE, WI_SERVICE_ACCOUNT,
				SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE, Duration.ofHours(1)));

		AccessToken token = onSimulator(new WorkloadIdentityCredentialBuilder()).clientId(WI_CLIENT)
			.tokenFilePath(tokenFile.toString())
			.build()
			.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE));

		assertThat(SignedJWT.parse(token.getToken()).getJWTClaimsSet().getStringClaim("appid")).isEqualTo(WI_CLIENT);
		assertThat(this.http.post(this.http.armToken(REGION, WORKSPACE, ENDPOINT), token.getToken()).statusCode())
			.isEqualTo(200);
	}

	@Test
	void workloadIdentityCredentialWhenSubjectDiffersThenThrows(@TempDir Path dir) throws Exception {
		Path tokenFile = dir.resolve("azure-identity-token");
		Files.writeString(tokenFile, this.sim.mintServiceAccountToken(WI_NAMESPACE, "someone-else",
				SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE, Duration.ofHours(1)));
		var credential = onSimulator(new WorkloadIdentityCredentialBuilder()).clientId(WI_CLIENT)
			.tokenFilePath(tokenFile.toString())
			.build();

		assertThatThrownBy(() -> credential.getTokenSync(new TokenRequestContext().addScopes(ARM_SCOPE))).rootCause()
			.hasMessageStartingWith("AADSTS70021:");
		assertThat(lastTokenExchange().responseBody()).contains("AADSTS70021");
	}

	@Test
	void discoveryWhenFetchedThenPointsAtIssuerJwksAndTokenEndpoint() throws Exception {
		JsonNode tenant = TestHttp.json(
				this.http.get(java.net.URI.create(this.sim.entraIssuer() + "/.well-known/openid-configuration"), null));
		JsonNode cluster = TestHttp.json(this.http
			.get(java.net.URI.create(this.sim.clusterIssuer() + "/.well-known/openid-configuration"), null));

		assertThat(tenant.get("issuer").stringValue()).isEqualTo(this.sim.entraIssuer());
		assertThat(tenant.get("jwks_uri").stringValue()).isEqualTo(this.sim.entraJwksUri().toString());
		assertThat(tenant.get("token_endpoint").stringValue()).isEqualTo(this.sim.tokenEndpoint().toString());
		assertThat(cluster.get("issuer").stringValue()).isEqualTo(this.sim.clusterIssuer());
		assertThat(cluster.get("jwks_uri").stringValue()).isEqualTo(this.sim.clusterJwksUri().toString());
		assertThat(this.sim.authorityHost().toString()).endsWith("/").startsWith("https://localhost:");
	}

	@Test
	void mintCallerTokenWhenVerifiedWithJwksThenCarriesStandardAndExtraClaims() throws Exception {
		String token = this.sim.mintCallerToken("caller-oid", "api://token-broker",
				Map.of("azp", "scoring-app", "roles", List.of("Tokens.Read")), Duration.ofMinutes(5));

		SignedJWT jwt = SignedJWT.parse(token);
		JWKSet keys = JWKSet.parse(this.http.get(this.sim.entraJwksUri(), null).body());
		assertThat(jwt.verify(new RSASSAVerifier((RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID())))).isTrue();
		JWTClaimsSet claims = jwt.getJWTClaimsSet();
		assertThat(claims.getIssuer()).isEqualTo(this.sim.entraIssuer());
		assertThat(claims.getSubject()).isEqualTo("caller-oid");
		assertThat(claims.getAudience()).containsExactly("api://token-broker");
		assertThat(claims.getStringClaim("azp")).isEqualTo("scoring-app");
		assertThat(claims.getStringListClaim("roles")).containsExactly("Tokens.Read");
		assertThat(claims.getExpirationTime().toInstant()).isEqualTo(this.clock.instant().plusSeconds(300));
		assertThat(this.issued).contains(token);
	}

	@Test
	void mintServiceAccountTokenWhenVerifiedWithClusterJwksThenHasKubernetesSubject() throws Exception {
		String token = this.sim.mintServiceAccountToken("ns", "sa", SimulatedEntra.TOKEN_EXCHANGE_AUDIENCE,
				Duration.ofHours(1));

		SignedJWT jwt = SignedJWT.parse(token);
		JWKSet keys = JWKSet.parse(this.http.get(this.sim.clusterJwksUri(), null).body());
		assertThat(jwt.verify(new RSASSAVerifier((RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID())))).isTrue();
		assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo(this.sim.clusterIssuer());
		assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("system:serviceaccount:ns:sa");
		assertThat(this.issued).contains(token);
	}

	@Test
	void noRoleClientWhenAuthenticatingThenStillGetsEntraToken() throws Exception {
		assertThat(this.http.entraToken(NO_ROLE_CLIENT, Fixtures.NO_ROLE_SECRET)).isNotBlank();
	}

	// ---- helpers

	/**
	 * Assert an OAuth error answer of the token endpoint: 400 and that {@code error}.
	 */
	private static void assertRejected(HttpResponse<String> response, String error) {
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(TestHttp.json(response).get("error").stringValue()).isEqualTo(error);
	}

	private RecordedExchange lastTokenExchange() {
		List<RecordedExchange> exchanges = this.sim.exchanges()
			.stream()
			.filter((exchange) -> exchange.operation() == Operation.ENTRA_TOKEN)
			.toList();
		assertThat(exchanges).isNotEmpty();
		return exchanges.get(exchanges.size() - 1);
	}

	private static Map<String, String> secretForm(String clientId, String secret, String scope) {
		Map<String, String> form = new LinkedHashMap<>();
		form.put("grant_type", "client_credentials");
		form.put("client_id", clientId);
		form.put("client_secret", secret);
		form.put("scope", scope);
		return form;
	}

	private static Map<String, String> assertionForm(String clientId, String assertion) {
		Map<String, String> form = new LinkedHashMap<>();
		form.put("grant_type", "client_credentials");
		form.put("client_id", clientId);
		form.put("client_assertion_type", SimulatedEntra.JWT_BEARER);
		form.put("client_assertion", assertion);
		form.put("scope", ARM_SCOPE);
		return form;
	}

	@SuppressWarnings("deprecation")
	private String assertion(JWSAlgorithm algorithm, boolean sha256, RSAPrivateKey key, String audience,
			Instant expiresAt) throws Exception {
		byte[] der = this.clientCertificate.certificate().getEncoded();
		JWSHeader.Builder header = new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT);
		if (sha256) {
			header.x509CertSHA256Thumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(der)));
		}
		else {
			header.x509CertThumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-1").digest(der)));
		}
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(CERT_CLIENT)
			.subject(CERT_CLIENT)
			.audience(audience)
			.jwtID(UUID.randomUUID().toString())
			.notBeforeTime(Date.from(expiresAt.minusSeconds(600)))
			.expirationTime(Date.from(expiresAt))
			.build();
		SignedJWT jwt = new SignedJWT(header.build(), claims);
		jwt.sign(new RSASSASigner(key));
		return jwt.serialize();
	}

	/** A credential builder pointed at the simulated tenant, over the simulator's TLS. */
	private <B extends AadCredentialBuilderBase<B>> B onSimulator(B builder) {
		return builder.tenantId(this.sim.tenantId())
			.authorityHost(this.sim.authorityHost().toString())
			.disableInstanceDiscovery()
			.httpClient(TestHttp.azureHttpClient(this.sim));
	}

}
