package com.acme.tokenbroker.security;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.support.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The verified-token cache: a token is verified once and reused until its expiry or the
 * time to live, in virtual time; anything else (an altered token, a refused one) goes
 * through the full verification every time.
 */
class VerifiedTokenCacheTests {

	private static KeyPair keys;

	private final MutableClock clock = MutableClock.startingAt("2026-11-28T12:00:00Z");

	@BeforeAll
	static void generateKeys() throws Exception {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
		generator.initialize(2048);
		keys = generator.generateKeyPair();
	}

	@Test
	void authenticateWhenSameTokenAgainThenDecoderNotCalledAgain() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		AuthenticationManager manager = new VerifiedTokenCache(this.clock).authenticating(manager(decoder));
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));

		Authentication first = manager.authenticate(bearer(token, "first"));
		Authentication second = manager.authenticate(bearer(token, "second"));
		Authentication third = manager.authenticate(bearer(token, "third"));

		assertThat(decoder.calls()).isEqualTo(1);
		assertThat(second.isAuthenticated()).isTrue();
		assertThat(second.getName()).isEqualTo("scorer").isEqualTo(first.getName());
		assertThat(((Jwt) second.getPrincipal()).getSubject()).isEqualTo("scorer");
		assertThat(second.getAuthorities()).isEqualTo(first.getAuthorities());
		assertThat(second.getDetails()).isEqualTo("second");
		assertThat(third.getDetails()).isEqualTo("third");
		assertThat(second).isNotSameAs(third);
	}

	@Test
	void authenticateWhenTokenExpiredThenVerifiedAgainAndRefused() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		AuthenticationManager manager = new VerifiedTokenCache(this.clock).authenticating(manager(decoder));
		String token = sign("scorer", this.clock.instant().plus(Duration.ofMinutes(2)));
		verifiedOnceInTwoCalls(manager, decoder, token, Duration.ofMinutes(1));

		this.clock.advance(Duration.ofSeconds(61));

		assertThatExceptionOfType(InvalidBearerTokenException.class)
			.isThrownBy(() -> manager.authenticate(bearer(token, null)));
		assertThat(decoder.calls()).isEqualTo(2);
	}

	@Test
	void authenticateWhenTimeToLivePassedThenVerifiedAgain() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		AuthenticationManager manager = new VerifiedTokenCache(this.clock, Duration.ofMinutes(5), 100)
			.authenticating(manager(decoder));
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		verifiedOnceInTwoCalls(manager, decoder, token, Duration.ofMinutes(4));

		this.clock.advance(Duration.ofMinutes(1));
		Authentication again = manager.authenticate(bearer(token, null));

		assertThat(decoder.calls()).isEqualTo(2);
		assertThat(again.isAuthenticated()).isTrue();
	}

	@Test
	void authenticateWhenTokenAlteredAfterCachingThenFullyVerifiedAndRefused() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		AuthenticationManager manager = new VerifiedTokenCache(this.clock).authenticating(manager(decoder));
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		manager.authenticate(bearer(token, null));
		String[] parts = token.split("\\.");
		String forgedClaims = Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString(new String(Base64.getUrlDecoder().decode(parts[1])).replace("scorer", "admin").getBytes());
		String forged = parts[0] + "." + forgedClaims + "." + parts[2];

		assertThatExceptionOfType(InvalidBearerTokenException.class)
			.isThrownBy(() -> manager.authenticate(bearer(forged, null)));
		assertThatExceptionOfType(InvalidBearerTokenException.class)
			.isThrownBy(() -> manager.authenticate(bearer(forged, null)));
		assertThat(decoder.calls()).isEqualTo(3);
		assertThat(manager.authenticate(bearer(token, null)).getName()).isEqualTo("scorer");
		assertThat(decoder.calls()).isEqualTo(3);
	}

	@Test
	void authenticateWhenMoreTokensThanMaximumSizeThenSizeStaysBounded() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		VerifiedTokenCache cache = new VerifiedTokenCache(this.clock, Duration.ofMinutes(5), 3);
		AuthenticationManager manager = cache.authenticating(manager(decoder));

		for (int i = 0; i < 20; i++) {
			manager.authenticate(bearer(sign("caller-" + i, this.clock.instant().plus(Duration.ofHours(1))), null));
		}

		assertThat(decoder.calls()).isEqualTo(20);
		assertThat(cache.size()).isLessThanOrEqualTo(3).isPositive();
	}

	@Test
	void keyWhenTokensDifferThenKeysDifferAndNeverShowTheToken() {
		VerifiedTokenCache.Key key = VerifiedTokenCache.Key.of("header.claims.signature");

		assertThat(key).isEqualTo(VerifiedTokenCache.Key.of("header.claims.signature"));
		assertThat(key).isNotEqualTo(VerifiedTokenCache.Key.of("header.claims.signaturf"));
		assertThat(key.toString()).doesNotContain("header", "claims", "signature");
	}

	@Test
	void verifiedCallerWhenTokenVerifiedThenCallerFromTheCacheWithoutVerifying() throws Exception {
		CountingDecoder decoder = new CountingDecoder(verifyingDecoder());
		VerifiedTokenCache cache = new VerifiedTokenCache(this.clock);
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		assertThat(cache.verifiedCaller("Bearer " + token)).as("never seen: not verified here").isNull();
		assertThat(decoder.calls()).isZero();

		Authentication verified = cache.authenticating(manager(decoder)).authenticate(bearer(token, null));
		Caller caller = cache.verifiedCaller("Bearer " + token);

		assertThat(caller).isEqualTo(Caller.from((Jwt) verified.getPrincipal()));
		assertThat(caller.subject()).isEqualTo("scorer");
		assertThat(cache.verifiedCaller("bearer " + token)).as("the scheme is case-insensitive").isEqualTo(caller);
		assertThat(decoder.calls()).isEqualTo(1);
	}

	@Test
	void verifiedCallerWhenHeaderIsNotExactlyAVerifiedBearerTokenThenNull() throws Exception {
		VerifiedTokenCache cache = new VerifiedTokenCache(this.clock);
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		cache.authenticating(manager(verifyingDecoder())).authenticate(bearer(token, null));
		String altered = token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BB" : "AA");

		assertThat(cache.verifiedCaller(null)).isNull();
		assertThat(cache.verifiedCaller(token)).isNull();
		assertThat(cache.verifiedCaller("Bearer")).isNull();
		assertThat(cache.verifiedCaller("Bearer ")).isNull();
		assertThat(cache.verifiedCaller("Bearer  " + token)).isNull();
		assertThat(cache.verifiedCaller("Bearer " + token + " ")).isNull();
		assertThat(cache.verifiedCaller("Bearer " + token + "\u0000")).isNull();
		assertThat(cache.verifiedCaller("Bearer " + token.replace('.', ','))).isNull();
		assertThat(cache.verifiedCaller("Bearer " + token + "x")).isNull();
		assertThat(cache.verifiedCaller("Bearer " + altered)).isNull();
		assertThat(cache.verifiedCaller("Basic " + token)).isNull();
		assertThat(cache.verifiedCaller("Bearer " + token)).isNotNull();
	}

	@Test
	void keyOfTheTokensBytesIsTheKeyOfTheToken() {
		for (int i = 0; i < 40; i++) { // digests are reused: each must start afresh
			String token = "header.claims." + "s".repeat(i);
			byte[] bytes = ("Bearer " + token + "\r\n").getBytes(StandardCharsets.US_ASCII);
			assertThat(VerifiedTokenCache.Key.of(bytes, 7, token.length())).isEqualTo(VerifiedTokenCache.Key.of(token));
		}
	}

	@Test
	void verifiedCallerOnTheHeadersBytesAnswersAsOnTheDecodedHeader() throws Exception {
		VerifiedTokenCache cache = new VerifiedTokenCache(this.clock);
		String token = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		cache.authenticating(manager(verifyingDecoder())).authenticate(bearer(token, null));
		String altered = token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BB" : "AA");

		for (String header : List.of("Bearer " + token, "bearer " + token, "BEARER " + token, "bEaReR " + token, token,
				"Bearer", "Bearer ", "Bearer  " + token, "Bearer " + token + " ", "Bearer " + token + "\u0000",
				"Bearer " + token + "\u00e9", "B\u00e9arer " + token, "Bearer " + token.replace('.', ','),
				"Bearer " + token + "x", "Bearer " + altered, "Basic " + token, "")) {
			byte[] bytes = ("xx" + header + "yy").getBytes(StandardCharsets.ISO_8859_1);
			assertThat(cache.verifiedCaller(bytes, 2, bytes.length - 4)).as(header.replace(token, "<token>"))
				.isEqualTo(cache.verifiedCaller(header));
		}
		byte[] bytes = ("Bearer " + token).getBytes(StandardCharsets.ISO_8859_1);
		assertThat(cache.verifiedCaller(bytes, 0, bytes.length)).isNotNull();
		assertThat(cache.verifiedCaller(null, 0, 0)).isNull();
	}

	@Test
	void verifiedCallerWhenExpiryOrTimeToLiveReachedThenNull() throws Exception {
		VerifiedTokenCache cache = new VerifiedTokenCache(this.clock);
		AuthenticationManager manager = cache.authenticating(manager(verifyingDecoder()));
		String shortLived = sign("scorer", this.clock.instant().plus(Duration.ofMinutes(2)));
		String longLived = sign("scorer", this.clock.instant().plus(Duration.ofHours(1)));
		manager.authenticate(bearer(shortLived, null));
		manager.authenticate(bearer(longLived, null));

		this.clock.advance(Duration.ofMinutes(2).minusMillis(1));
		assertThat(cache.verifiedCaller("Bearer " + shortLived)).isNotNull();
		this.clock.advance(Duration.ofMillis(1));
		assertThat(cache.verifiedCaller("Bearer " + shortLived)).as("at its exp").isNull();
		assertThat(cache.verifiedCaller("Bearer " + longLived)).isNotNull();
		this.clock.advance(Duration.ofMinutes(3));
		assertThat(cache.verifiedCaller("Bearer " + longLived)).as("after the 5-minute time to live").isNull();
	}

	private NimbusJwtDecoder verifyingDecoder() {
		NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey((RSAPublicKey) keys.getPublic()).build();
		JwtTimestampValidator timestamps = new JwtTimestampValidator(Duration.ZERO);
		timestamps.setClock(this.clock);
		decoder.setJwtValidator(timestamps);
		return decoder;
	}

	private static AuthenticationManager manager(JwtDecoder decoder) {
		return new ProviderManager(new JwtAuthenticationProvider(decoder));
	}

	private static BearerTokenAuthenticationToken bearer(String token, Object details) {
		BearerTokenAuthenticationToken bearer = new BearerTokenAuthenticationToken(token);
		bearer.setDetails(details);
		return bearer;
	}

	private String sign(String subject, Instant expiresAt) throws Exception {
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).build(),
				new JWTClaimsSet.Builder().subject(subject)
					.issuer("https://issuer.example")
					.issueTime(Date.from(this.clock.instant()))
					.expirationTime(Date.from(expiresAt))
					.build());
		jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
		return jwt.serialize();
	}

	/** A decoder that counts how often the full verification runs. */
	private static final class CountingDecoder implements JwtDecoder {

		private final JwtDecoder delegate;

		private final AtomicInteger calls = new AtomicInteger();

		CountingDecoder(JwtDecoder delegate) {
			this.delegate = delegate;
		}

		@Override
		public Jwt decode(String token) {
			this.calls.incrementAndGet();
			return this.delegate.decode(token);
		}

		int calls() {
			return this.calls.get();
		}

	}

	/**
	 * Two calls {@code apart}, the second answered from the cache: the decoder verified
	 * the token once.
	 */
	private void verifiedOnceInTwoCalls(AuthenticationManager manager, CountingDecoder decoder, String token,
			Duration apart) {
		manager.authenticate(bearer(token, null));
		this.clock.advance(apart);
		manager.authenticate(bearer(token, null));
		assertThat(decoder.calls()).isEqualTo(1);
	}

}
