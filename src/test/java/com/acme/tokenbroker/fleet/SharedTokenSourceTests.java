package com.acme.tokenbroker.fleet;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.keys.KeySlots;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresRedis;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.support.TestRedis;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.system.Sleeper;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenProperties;
import com.acme.tokenbroker.token.TokenSource;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The shared source's edge cases against a real Redis: a holder whose lease ran out, a
 * peer that finished without a result, a stale but usable shared token for a cold
 * instance, a lock without a lease, the served key slot.
 */
@RequiresRedis
class SharedTokenSourceTests {

	static LettuceConnectionFactory connections;

	static StringRedisTemplate redis;

	final MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");

	final String prefix = "tb-unit-" + UUID.randomUUID();

	final ServiceCatalog catalog = TestCatalog.withServices("fraud", "churn");

	final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	final ServiceDescriptor churn = this.catalog.find(ServiceName.of("churn")).orElseThrow();

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	final TokenProperties tokenProperties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
			Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 100,
			Duration.ZERO, 2, Duration.ofHours(24), Duration.ofMinutes(10));

	final RefreshPolicy policy = new RefreshPolicy(this.tokenProperties, new SplittableRandom(7)::nextLong);

	final FleetProperties properties = new FleetProperties(true, this.prefix, Duration.ofSeconds(30),
			Duration.ofMillis(400), Duration.ofMillis(20), true,
			new FleetProperties.Encryption("k1", Map.of("k1", TestRedis.newEncryptionKey())));

	final KeySlots keySlots = new KeySlots(KeySlot.PRIMARY);

	final SharedKeys keys = new SharedKeys(this.prefix, this.keySlots);

	final SharedStore store = new SharedStore(redis,
			new CircuitBreakers(CircuitBreakerRegistry.ofDefaults(), this.clock)
				.forFleetRedis(SharedStore::isInterruption));

	final TokenSealer sealer = new TokenSealer(this.properties.encryption(), new SecureRandom());

	final AtomicInteger upstreamCalls = new AtomicInteger();

	@BeforeAll
	static void connect() {
		connections = TestRedis.connect();
		redis = new StringRedisTemplate(connections);
	}

	@AfterAll
	static void disconnect() {
		connections.destroy();
	}

	@AfterEach
	void clean() {
		var written = redis.keys(this.prefix + ":*");
		if (written != null && !written.isEmpty()) {
			redis.delete(written);
		}
	}

	private BrokeredToken token(String value, Duration age) {
		Instant fetched = this.clock.instant().minus(age);
		return new BrokeredToken(ServiceName.of("fraud"), "Bearer", value, fetched.plus(Duration.ofMinutes(30)),
				fetched.plus(Duration.ofHours(12)), fetched);
	}

	private SharedTokenSource source(TokenSource upstream) {
		return new SharedTokenSource(upstream, this.store, this.sealer, this.keys, this.policy, this.properties,
				Sleeper.THREAD, this.meters, this.clock);
	}

	private void share(BrokeredToken token) {
		String tokenKey = this.keys.token(this.fraud);
		redis.opsForValue()
			.set(tokenKey, this.sealer.seal(tokenKey, SharedTokenCodec.encode(token, this.clock.millis())),
					Duration.ofHours(1));
	}

	@Test
	void aHolderWhoseLeaseRanOutDoesNotOverwriteThePeersNewerValue() {
		String tokenKey = this.keys.token(this.fraud);
		String lockKey = this.keys.lock(this.fraud);
		String slow = this.store.tryLock(lockKey, Duration.ofSeconds(30));
		redis.delete(lockKey);
		String peer = this.store.tryLock(lockKey, Duration.ofSeconds(30));
		assertThat(this.store.putIfOwner(tokenKey, "peer's", Duration.ofMinutes(1), lockKey, peer)).isTrue();

		assertThat(this.store.putIfOwner(tokenKey, "slow holder's", Duration.ofMinutes(1), lockKey, slow)).isFalse();

		assertThat(redis.opsForValue().get(tokenKey)).isEqualTo("peer's");
	}

	@Test
	void aColdInstanceTakesAStaleButUsableSharedTokenWhileAPeerIsStillFetching() {
		BrokeredToken stale = token("stale-but-usable", Duration.ofHours(2));
		share(stale);
		this.store.tryLock(this.keys.lock(this.fraud), Duration.ofSeconds(30));

		BrokeredToken served = source((service, held) -> {
			this.upstreamCalls.incrementAndGet();
			throw new AssertionError("the peer is fetching");
		}).load(this.fraud, null);

		assertThat(served.value()).isEqualTo("stale-but-usable");
		assertThat(this.upstreamCalls).hasValue(0);
	}

	@Test
	void aRejectionIsNotAnsweredWithTheSharedEntryOfTheRejectedValueEvenWhenItIsNewer() {
		BrokeredToken rejected = token("rejected", Duration.ofMinutes(10));
		share(token("rejected", Duration.ofSeconds(30)));

		BrokeredToken served = source((service, held) -> {
			this.upstreamCalls.incrementAndGet();
			return token("replacement", Duration.ZERO);
		}).loadReplacing(this.fraud, rejected);

		assertThat(served.value()).isEqualTo("replacement");
		assertThat(this.upstreamCalls).hasValue(1);
		assertThat(source((service, held) -> {
			throw new AssertionError("the replacement is shared");
		}).load(this.fraud, rejected).value()).as("the fleet takes the replacement").isEqualTo("replacement");
	}

	@Test
	void aRejectionIsAnsweredWithTheSharedEntryOfTheRejectedValueFetchedWithinMinRefreshInterval() {
		BrokeredToken rejected = token("rejected", Duration.ofMinutes(10));
		share(token("rejected", Duration.ofSeconds(29)));

		BrokeredToken served = source((service, held) -> {
			throw new AssertionError("the upstream issued it again a moment ago");
		}).loadReplacing(this.fraud, rejected);

		assertThat(served.value()).as("the upstream's latest answer").isEqualTo("rejected");
		assertThat(served.fetchedAt()).isEqualTo(this.clock.instant().minusSeconds(29));
		assertThat(this.meters.counter("broker.fleet.lookups", "outcome", "rejected_recently").count()).isEqualTo(1);
	}

	@Test
	void aRejectionTakesAPeersReplacementWithoutAnUpstreamCallWhateverItsExpiry() {
		BrokeredToken rejected = token("rejected", Duration.ZERO);
		share(token("peer's replacement", Duration.ofMinutes(1)));

		BrokeredToken served = source((service, held) -> {
			this.upstreamCalls.incrementAndGet();
			return token("fetched", Duration.ZERO);
		}).loadReplacing(this.fraud, rejected);

		assertThat(served.value()).isEqualTo("peer's replacement");
		assertThat(this.upstreamCalls).hasValue(0);
	}

	@Test
	void anInstanceHoldingATokenDefersToAPeerThatIsFetching() {
		this.store.tryLock(this.keys.lock(this.fraud), Duration.ofSeconds(30));

		assertThatExceptionOfType(UpstreamException.class)
			.isThrownBy(() -> source((service, held) -> token("never", Duration.ZERO)).load(this.fraud,
					token("held", Duration.ofMinutes(31))))
			.satisfies((ex) -> {
				assertThat(ex.getKind()).isEqualTo(UpstreamException.Kind.PEER_FETCHING);
				assertThat(ex.getRetryAfter()).isBetween(Duration.ofMillis(20), this.properties.peerWait());
			});
	}

	@Test
	void whenThePeerFinishesWithoutAResultTheWaiterFetchesOnce() throws Exception {
		String lockKey = this.keys.lock(this.fraud);
		String peer = this.store.tryLock(lockKey, Duration.ofSeconds(30));
		Thread release = new Thread(() -> {
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.store.unlock(lockKey, peer);
		});
		release.start();

		BrokeredToken served = source((service, held) -> {
			this.upstreamCalls.incrementAndGet();
			return token("fetched-by-the-waiter", Duration.ZERO);
		}).load(this.fraud, null);
		release.join();

		assertThat(served.value()).isEqualTo("fetched-by-the-waiter");
		assertThat(this.upstreamCalls).hasValue(1);
		assertThat(redis.hasKey(lockKey)).as("released after the fetch").isFalse();
		assertThat(redis.opsForValue().get(this.keys.token(this.fraud))).startsWith("tb1.k1.");
	}

	@Test
	void aLockWithoutALeaseGetsOneInsteadOfBlockingForever() {
		String lockKey = this.keys.lock(this.fraud);
		redis.opsForValue().set(lockKey, "left by hand");

		Duration remaining = this.store.leaseRemaining(lockKey, Duration.ofSeconds(30));

		assertThat(remaining).isEqualTo(Duration.ofSeconds(30));
		assertThat(redis.getExpire(lockKey, TimeUnit.SECONDS)).isBetween(1L, 30L);
	}

	@Test
	void anInstanceServingTheSecondaryKeyNeverSharesWithOnesServingThePrimary() {
		String primary = this.keys.token(this.fraud);
		this.keySlots.serve(ServiceName.of("fraud"), KeySlot.SECONDARY);

		assertThat(this.keys.token(this.fraud)).isNotEqualTo(primary);
		assertThat(this.keys.lock(this.fraud)).isNotEqualTo(primary.replace(":token:", ":lock:"));
		assertThat(this.keys.token(this.fraud)).startsWith(this.prefix + ":token:{fraud:").endsWith("}");
	}

	@Test
	void aSharedValueIsTakenOnlyWhenNewerThanTheHeldOne() {
		BrokeredToken held = token("held", Duration.ofMinutes(10));
		share(token("same-age", Duration.ofMinutes(10)));

		BrokeredToken served = source((service, ignored) -> {
			this.upstreamCalls.incrementAndGet();
			return token("fetched", Duration.ZERO);
		}).load(this.fraud, held);

		assertThat(served.value()).as("the shared one is no newer: fetched for the fleet").isEqualTo("fetched");
		assertThat(this.upstreamCalls).hasValue(1);
		BrokeredToken next = source((service, ignored) -> {
			throw new AssertionError("no second fetch");
		}).load(this.fraud, held);
		assertThat(next.value()).isEqualTo("fetched");
	}

	// issue 11, item 13: an attacker with write access to Redis puts back an older sealed
	// value it saw earlier
	@Test
	void anOlderSealedValuePutBackInRedisIsRefusedByEveryInstanceThatSawANewerOne() {
		String tokenKey = this.keys.token(this.fraud);
		AtomicInteger fetches = new AtomicInteger();
		TokenSource upstream = (service, held) -> token("fetch-" + fetches.incrementAndGet(), Duration.ZERO);
		SharedTokenSource writer = source(upstream);
		SharedTokenSource peer = source(upstream);
		BrokeredToken first = writer.load(this.fraud, null);
		String firstSealed = redis.opsForValue().get(tokenKey);
		this.clock.advance(Duration.ofMinutes(5));
		BrokeredToken second = writer.load(this.fraud, first);
		assertThat(second.value()).as("a newer fetch for the fleet").isEqualTo("fetch-2");
		assertThat(peer.load(this.fraud, null).value()).as("the peer takes the newer one from Redis")
			.isEqualTo("fetch-2");

		redis.opsForValue().set(tokenKey, firstSealed, Duration.ofHours(1));
		BrokeredToken servedByPeer = peer.load(this.fraud, null);
		double refusedByPeer = replayed();
		redis.opsForValue().set(tokenKey, firstSealed, Duration.ofHours(1));
		BrokeredToken servedByWriter = writer.load(this.fraud, null);

		assertThat(servedByPeer.value()).as("the replayed value is a miss: fetched instead").isNotEqualTo("fetch-1");
		assertThat(servedByWriter.value()).isNotEqualTo("fetch-1");
		assertThat(fetches).hasValue(4);
		assertThat(refusedByPeer).as("counted").isPositive();
		assertThat(replayed()).as("counted").isGreaterThan(refusedByPeer);
		String healed = redis.opsForValue().get(tokenKey);
		assertThat(healed).as("the fetched one replaced the replayed value").isNotEqualTo(firstSealed);
		BrokeredToken fresh = source((service, held) -> {
			throw new AssertionError("no fetch: Redis holds the newest value again");
		}).load(this.fraud, null);
		assertThat(fresh.value()).isEqualTo(servedByWriter.value());
	}

	private double replayed() {
		return this.meters.counter("broker.fleet.lookups", "outcome", "replayed").count();
	}

	@Test
	void aValueSealedForOneServiceCopiedUnderAnothersKeyIsRefused() {
		SharedTokenSource source = source((service, held) -> token("for-" + service.name().value(), Duration.ZERO));
		source.load(this.fraud, null);
		redis.opsForValue()
			.set(this.keys.token(this.churn), redis.opsForValue().get(this.keys.token(this.fraud)),
					Duration.ofHours(1));

		BrokeredToken served = source.load(this.churn, null);

		assertThat(served.value()).as("the copy does not open under churn's key: fetched").isEqualTo("for-churn");
		assertThat(this.meters.counter("broker.fleet.lookups", "outcome", "undecryptable").count()).isPositive();
	}

}
