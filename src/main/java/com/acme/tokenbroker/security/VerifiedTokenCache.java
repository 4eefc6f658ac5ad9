package com.acme.tokenbroker.security;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Caller JWTs verified once: the first request with a token runs the full verification
 * (signature against the issuer's keys, {@code exp}, {@code nbf}, {@code iss},
 * {@code aud}); later requests with the very same token reuse the result until the
 * token's {@code exp} or {@link #DEFAULT_TIME_TO_LIVE} after the verification, whichever
 * comes first. Callers present the same token for minutes to hours, so a request then
 * costs a SHA-256 and a map read instead of parsing and an RSA or ECDSA verification.
 * <p>
 * Entries are keyed by the SHA-256 of the token: the cache never holds the token itself,
 * and any altered or forged token hashes to another key and goes through the full
 * verification. Failed verifications are not cached. The time to live bounds how long a
 * token stays accepted after its issuer stops publishing the key that signed it (the JWK
 * set is itself cached for minutes by the decoder). Time comes from the injected
 * {@link Clock}, which also drives Caffeine's ticker; the size is bounded, least recently
 * used first out.
 * <p>
 * {@link #verifiedCaller(String)} lets the token endpoint's fast path
 * ({@code token/CachedTokenFilter}) answer a request before the security filter chain: it
 * reads this cache only, never verifies, so a token it does not find is left to the full
 * chain.
 */
public final class VerifiedTokenCache {

	/** The longest a verification is reused. */
	static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofMinutes(5);

	/** The most verified tokens kept. */
	static final int DEFAULT_MAXIMUM_SIZE = 10_000;

	private final Cache<Key, Verified> verified;

	private final Clock clock;

	private final Duration timeToLive;

	VerifiedTokenCache(Clock clock) {
		this(clock, DEFAULT_TIME_TO_LIVE, DEFAULT_MAXIMUM_SIZE);
	}

	VerifiedTokenCache(Clock clock, Duration timeToLive, int maximumSize) {
		if (timeToLive.isNegative() || timeToLive.isZero()) {
			throw new IllegalArgumentException("timeToLive must be positive");
		}
		this.clock = clock;
		this.timeToLive = timeToLive;
		this.verified = Caffeine.newBuilder()
			.maximumSize(maximumSize)
			.ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
			// entries expire at their notAfter, by the clock-driven ticker
			.expireAfter(Expiry.writing((Key key, Verified value) -> {
				Duration left = Duration.between(clock.instant(), value.notAfter());
				return left.isNegative() ? Duration.ZERO : left;
			}))
			.executor(Runnable::run)
			.build();
	}

	/**
	 * An authentication manager that answers from this cache and verifies through the
	 * delegate on a miss.
	 * @param delegate the full verification, e.g. the issuer-resolving JWT authentication
	 * manager
	 * @return the caching manager
	 */
	AuthenticationManager authenticating(AuthenticationManager delegate) {
		return (authentication) -> authenticate(authentication, delegate);
	}

	/**
	 * Authenticate a bearer token from the cache, or through the delegate when it is not
	 * cached (or no longer valid).
	 * @param authentication the authentication request, a
	 * {@link BearerTokenAuthenticationToken} for caller JWTs (anything else goes to the
	 * delegate untouched)
	 * @param delegate the full verification
	 * @return the authenticated caller
	 * @throws AuthenticationException when the delegate refuses the token
	 */
	Authentication authenticate(Authentication authentication, AuthenticationManager delegate) {
		if (!(authentication instanceof BearerTokenAuthenticationToken bearer)) {
			return delegate.authenticate(authentication);
		}
		Key key = Key.of(bearer.getToken());
		Verified hit = this.verified.getIfPresent(key);
		if (hit != null && this.clock.instant().isBefore(hit.notAfter())) {
			return hit.authenticationFor(bearer);
		}
		Authentication result = delegate.authenticate(authentication);
		if (result instanceof JwtAuthenticationToken jwtAuthentication && result.isAuthenticated()) {
			Instant expiresAt = jwtAuthentication.getToken().getExpiresAt();
			Instant now = this.clock.instant();
			if (expiresAt != null && now.isBefore(expiresAt)) {
				Instant until = now.plus(this.timeToLive);
				this.verified.put(key, new Verified(jwtAuthentication, expiresAt.isBefore(until) ? expiresAt : until));
			}
		}
		return result;
	}

	/**
	 * The caller of an {@code Authorization} header whose bearer token this cache holds
	 * as verified and unexpired now, by the injected clock. Never verifies anything: a
	 * token not found here (never seen, forged, altered, expired, refused) gives
	 * {@code null}, and so does a header without the {@code Bearer } scheme (any case, as
	 * the security chain's resolvers read it).
	 * <p>
	 * The rest of the header is not checked against the RFC 6750 token characters here:
	 * only tokens the chain's resolvers extracted (so made of those characters) and
	 * verified are in this cache, so a rest that hashes to an entry is such a token, and
	 * anything else finds no entry. Checking each character of a kilobyte-long token
	 * again was a measurable part of the fast path (bench/README.md).
	 * @param authorization the {@code Authorization} header, possibly {@code null}
	 * @return the caller, or {@code null} when the full security chain must decide
	 */
	public Caller verifiedCaller(String authorization) {
		if (authorization == null || authorization.length() <= HeaderBearerTokenResolver.PREFIX.length()
				|| !authorization.regionMatches(true, 0, HeaderBearerTokenResolver.PREFIX, 0,
						HeaderBearerTokenResolver.PREFIX.length())) {
			return null;
		}
		Verified hit = this.verified
			.getIfPresent(Key.of(authorization.substring(HeaderBearerTokenResolver.PREFIX.length())));
		if (hit == null || !this.clock.instant().isBefore(hit.notAfter())) {
			return null;
		}
		return hit.caller();
	}

	/**
	 * {@link #verifiedCaller(String)} on the {@code Authorization} header's bytes as
	 * received, without decoding them into a string first (a kilobyte-long token decoded
	 * then copied twice was most of a fast-path request's garbage). The answer is that of
	 * the string the server decodes these bytes into (ISO-8859-1): a verified token is
	 * ASCII, so it hashes to the same key either way, and a header with any other byte
	 * hashes, either way, to a key no verified token has.
	 * @param header the bytes of the header's value
	 * @param offset where the value starts
	 * @param length its length in bytes
	 * @return the caller, or {@code null} when the full security chain must decide
	 */
	public Caller verifiedCaller(byte[] header, int offset, int length) {
		int prefix = HeaderBearerTokenResolver.PREFIX.length();
		if (header == null || length <= prefix || !hasBearerPrefix(header, offset)) {
			return null;
		}
		Verified hit = this.verified.getIfPresent(Key.of(header, offset + prefix, length - prefix));
		if (hit == null || !this.clock.instant().isBefore(hit.notAfter())) {
			return null;
		}
		return hit.caller();
	}

	/**
	 * {@link HeaderBearerTokenResolver#PREFIX} in any case: the comparison of
	 * {@code String.regionMatches(true, ...)}, on the bytes decoded as ISO-8859-1.
	 */
	private static boolean hasBearerPrefix(byte[] header, int offset) {
		String prefix = HeaderBearerTokenResolver.PREFIX;
		for (int i = 0; i < prefix.length(); i++) {
			char expected = prefix.charAt(i);
			char actual = (char) (header[offset + i] & 0xFF);
			if (actual == expected) {
				continue;
			}
			char upperActual = Character.toUpperCase(actual);
			char upperExpected = Character.toUpperCase(expected);
			if (upperActual != upperExpected
					&& Character.toLowerCase(upperActual) != Character.toLowerCase(upperExpected)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * @return how many verified tokens are kept now (after pending evictions)
	 */
	long size() {
		this.verified.cleanUp();
		return this.verified.estimatedSize();
	}

	/** The SHA-256 of a token, as four longs: never the token itself. */
	record Key(long a, long b, long c, long d) {

		static Key of(String token) {
			return of(sha256().digest(token.getBytes(StandardCharsets.UTF_8)));
		}

		/**
		 * The key of the token in these bytes, with a digest kept for reuse: the fast
		 * path's requests run on virtual threads, where a thread-local digest would be
		 * one per request, and a clone per request was a good share of its garbage.
		 */
		static Key of(byte[] token, int offset, int length) {
			int slot = (int) (Thread.currentThread().getId() & (HASHERS.length() - 1));
			Hasher hasher = HASHERS.getAndSet(slot, null);
			if (hasher == null) {
				hasher = new Hasher(); // a concurrent request holds this slot's
			}
			hasher.sha256.update(token, offset, length);
			Key key;
			try {
				hasher.sha256.digest(hasher.digest, 0, hasher.digest.length);
				key = of(hasher.digest);
			}
			catch (DigestException ex) {
				throw new IllegalStateException("a SHA-256 fits in 32 bytes", ex);
			}
			HASHERS.set(slot, hasher); // reset by digest
			return key;
		}

		private static Key of(byte[] sha256) {
			return new Key((long) LONGS.get(sha256, 0), (long) LONGS.get(sha256, 8), (long) LONGS.get(sha256, 16),
					(long) LONGS.get(sha256, 24));
		}

		/** Big-endian, as {@code ByteBuffer} reads them. */
		private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

		/**
		 * Digests for {@link #of(byte[], int, int)}, taken from and given back to a slot
		 * chosen by thread, without a lock.
		 */
		private static final AtomicReferenceArray<Hasher> HASHERS = new AtomicReferenceArray<>(16);

		/** A digest and its output buffer. */
		private static final class Hasher {

			private final MessageDigest sha256 = sha256();

			private final byte[] digest = new byte[32];

		}

		/** Cloned for each use: cheaper than a provider look-up per request. */
		private static final MessageDigest SHA_256;

		static {
			try {
				SHA_256 = MessageDigest.getInstance("SHA-256");
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("SHA-256 is a required JDK algorithm", ex);
			}
		}

		private static MessageDigest sha256() {
			try {
				return (MessageDigest) SHA_256.clone();
			}
			catch (CloneNotSupportedException ex) {
				try {
					return MessageDigest.getInstance("SHA-256");
				}
				catch (NoSuchAlgorithmException unexpected) {
					throw new IllegalStateException("SHA-256 is a required JDK algorithm", unexpected);
				}
			}
		}

	}

	/**
	 * A verified caller and until when it may be reused; {@link #toString()} never shows
	 * the token.
	 */
	private static final class Verified {

		private final JwtAuthenticationToken authentication;

		private final Instant notAfter;

		/**
		 * {@link Caller#from(Jwt)} of the token, made once here rather than on the fast
		 * path.
		 */
		private final Caller caller;

		Verified(JwtAuthenticationToken authentication, Instant notAfter) {
			this.authentication = authentication;
			this.notAfter = notAfter;
			this.caller = Caller.from(authentication.getToken());
		}

		Instant notAfter() {
			return this.notAfter;
		}

		/**
		 * @return the caller, as the controller derives it from the same {@link Jwt}
		 */
		Caller caller() {
			return this.caller;
		}

		/**
		 * A fresh authentication per request, so request details are this request's and
		 * nothing shared mutates.
		 */
		Authentication authenticationFor(BearerTokenAuthenticationToken bearer) {
			Jwt jwt = this.authentication.getToken();
			JwtAuthenticationToken fresh = new JwtAuthenticationToken(jwt, this.authentication.getAuthorities(),
					this.authentication.getName());
			fresh.setDetails(bearer.getDetails());
			return fresh;
		}

		@Override
		public String toString() {
			return "Verified[notAfter=" + this.notAfter + "]";
		}

	}

}
