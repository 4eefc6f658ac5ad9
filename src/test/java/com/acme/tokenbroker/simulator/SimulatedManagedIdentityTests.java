package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static com.acme.tokenbroker.simulator.Fixtures.REGION;
import static com.acme.tokenbroker.simulator.Fixtures.SERVICE;
import static com.acme.tokenbroker.simulator.Fixtures.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulated managed-identity endpoint on the wire (App Service protocol
 * {@code 2019-08-01}): the environment's header is required, the identity is chosen by
 * {@code client_id} or is the system-assigned one, {@code expires_on} is in epoch seconds
 * of the simulator's clock, and the token works against a region like any principal's.
 */
class SimulatedManagedIdentityTests extends AbstractStandardWorkspaceTests {

	static final String SYSTEM_ASSIGNED = "mi-system";

	static final String USER_ASSIGNED = "mi-user";

	@Override
	SimulatedWorkspaceBuilder customize(SimulatedWorkspaceBuilder builder) {
		return builder.managedIdentity(SYSTEM_ASSIGNED)
			.managedIdentity(USER_ASSIGNED)
			.grant(USER_ASSIGNED, WORKSPACE, "Reader");
	}

	private HttpResponse<String> token(String query, String header) throws Exception {
		HttpRequest.Builder request = HttpRequest
			.newBuilder(URI.create(this.sim.managedIdentityEndpoint() + "?" + query))
			.timeout(Duration.ofSeconds(10));
		if (header != null) {
			request.header("X-IDENTITY-HEADER", header);
		}
		return this.http.send(request.GET().build());
	}

	@Test
	void tokenWhenUserAssignedClientIdThenTokenOfThatIdentityExpiringIn24HoursAcceptedByTheRegion() throws Exception {
		HttpResponse<String> response = token(
				"api-version=2019-08-01&resource=https://management.azure.com&client_id=" + USER_ASSIGNED,
				this.sim.managedIdentityHeader());

		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		JsonNode body = TestHttp.json(response);
		String accessToken = body.get("access_token").stringValue();
		JWTClaimsSet claims = SignedJWT.parse(accessToken).getJWTClaimsSet();
		assertThat(claims.getStringClaim("appid")).isEqualTo(USER_ASSIGNED);
		assertThat(claims.getAudience()).containsExactly("https://management.azure.com");
		assertThat(Long.parseLong(body.get("expires_on").stringValue()))
			.isEqualTo(this.clock.instant().plus(Duration.ofHours(24)).getEpochSecond());
		assertThat(body.get("client_id").stringValue()).isEqualTo(USER_ASSIGNED);
		assertThat(this.issued).contains(accessToken, this.sim.managedIdentityHeader());
		assertThat(this.http.post(this.http.mmsToken(REGION, WORKSPACE, SERVICE), accessToken).statusCode())
			.as("granted Reader: the region accepts its token")
			.isEqualTo(201);
		assertThat(this.sim.entraCallCount(Operation.MANAGED_IDENTITY_TOKEN)).isPositive();
	}

	@Test
	void tokenWhenNoClientIdThenSystemAssignedIdentity() throws Exception {
		HttpResponse<String> response = token("api-version=2019-08-01&resource=https://ml.azure.com",
				this.sim.managedIdentityHeader());

		assertThat(response.statusCode()).isEqualTo(200);
		JWTClaimsSet claims = SignedJWT.parse(TestHttp.json(response).get("access_token").stringValue())
			.getJWTClaimsSet();
		assertThat(claims.getStringClaim("appid")).isEqualTo(SYSTEM_ASSIGNED);
		assertThat(claims.getExpirationTime().toInstant()).isAfter(Instant.now().plus(Duration.ofHours(23)));
	}

	@Test
	void tokenWhenHeaderMissingOrWrongOrRequestBadThenRefused() throws Exception {
		String good = "api-version=2019-08-01&resource=https://management.azure.com";

		assertThat(token(good, null).statusCode()).isEqualTo(401);
		assertThat(token(good, "not-the-header").statusCode()).isEqualTo(401);
		assertThat(
				token("api-version=2017-09-01&resource=https://management.azure.com", this.sim.managedIdentityHeader())
					.statusCode())
			.isEqualTo(400);
		assertThat(token("api-version=2019-08-01", this.sim.managedIdentityHeader()).statusCode()).isEqualTo(400);
		assertThat(token(good + "&client_id=unknown", this.sim.managedIdentityHeader()).statusCode()).isEqualTo(400);
	}

}
