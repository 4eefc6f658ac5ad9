package com.acme.tokenbroker.simulator;

import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import com.nimbusds.jwt.JWTClaimsSet;

/**
 * The service tokens of one region: JWTs signed with the workspace's own key, issued by
 * the region ({@code iss} is its address) for one service ({@code aud}).
 */
final class ServiceTokens {

	private final RegionContext region;

	ServiceTokens(RegionContext region) {
		this.region = region;
	}

	/**
	 * The {@code iss} of service tokens issued in this region.
	 */
	String issuer() {
		return this.region.baseUrl();
	}

	/**
	 * Issue a token for a service, or under {@link Fault.Kind#EXPIRED} one that expired a
	 * minute ago, or under {@link Fault.Kind#OVERSIZED} padding instead of a token.
	 */
	Issued issue(Directory.Workspace workspace, Directory.Service service, Fault fault) {
		Instant now = this.region.now();
		Instant issuedAt = now;
		Instant refreshAfter = now.plus(service.refreshAfter());
		Instant expiresAt = now.plus(service.expiresAfter());
		if (fault.kind() == Fault.Kind.EXPIRED) {
			expiresAt = now.minusSeconds(60);
			issuedAt = expiresAt.minus(service.expiresAfter());
			refreshAfter = issuedAt.plus(service.refreshAfter());
		}
		if (fault.kind() == Fault.Kind.OVERSIZED) {
			return new Issued(Padding.oversizedToken(), refreshAfter, expiresAt);
		}
		JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer())
			.audience(service.name())
			.issueTime(Date.from(issuedAt))
			.notBeforeTime(Date.from(issuedAt))
			.expirationTime(Date.from(expiresAt))
			.jwtID(UUID.randomUUID().toString())
			.build();
		String accessToken = Jwts.sign(workspace.signingKey().get(), claims);
		this.region.observer().issued(accessToken);
		return new Issued(accessToken, refreshAfter, expiresAt);
	}

	/**
	 * Whether {@code token} is a service token this region issued for the service and is
	 * still valid by the simulator's clock.
	 */
	boolean accepts(Directory.Workspace workspace, String service, String token) {
		try {
			JWTClaimsSet claims = Jwts.verify(token, workspace.signingKey().get());
			return issuer().equals(claims.getIssuer()) && Jwts.hasAudience(claims, service)
					&& Jwts.isWithinTimes(claims, this.region.instant());
		}
		catch (Jwts.InvalidTokenException ex) {
			return false;
		}
	}

	/**
	 * An issued token and its times; {@code toString} leaves the token out.
	 */
	record Issued(String accessToken, Instant refreshAfter, Instant expiresAt) {

		@Override
		public String toString() {
			return "Issued[refreshAfter=" + this.refreshAfter + ", expiresAt=" + this.expiresAt + "]";
		}

	}

}
