package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A caller waiting on a cold miss is not queued behind the warm-up: a broker with many
 * services queues a fetch for each at start, and a caller of one not fetched yet waited
 * for all those before it (with 10,000 services, 29 s: 503s past the cold-miss deadline
 * meanwhile, while an upstream call takes a tenth of a second). Its fetch goes ahead of
 * the queued ones, and so does a queued one that a caller joins.
 */
class CallerFetchPriorityTests {

	private final MutableClock clock = MutableClock.startingAt("2026-12-07T10:00:00Z");

	private final ServiceCatalog catalog = TestCatalog.withServices("s1", "s2", "s3", "s4", "s5");

	private final TokenProperties properties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
			Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 100,
			Duration.ZERO, 1, Duration.ofHours(24), Duration.ofMinutes(10));

	private final RefreshPolicy policy = new RefreshPolicy(this.properties, new SplittableRandom(7)::nextLong);

	/** One fetch at a time in the region, as with a warm-up that fills every slot. */
	private final FetchSlots slots = new FetchSlots(1, this.clock);

	private final CountDownLatch firstFetchHolds = new CountDownLatch(1);

	private final List<String> fetched = new CopyOnWriteArrayList<>();

	private final TokenCache cache = new TokenCache(this.catalog, (service, held) -> {
		if (this.fetched.isEmpty()) {
			try {
				this.firstFetchHolds.await(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.fetched.add(service.name().value());
		Instant now = this.clock.instant();
		return new BrokeredToken(service.name(), "Bearer", "token-" + service.name().value(),
				now.plus(Duration.ofMinutes(30)), now.plus(Duration.ofHours(1)), now);
	}, this.policy, this.properties, this.slots::forRegion, new SimpleMeterRegistry(), this.clock);

	@AfterEach
	void stop() {
		this.firstFetchHolds.countDown();
		this.slots.shutdownNow();
	}

	private ServiceDescriptor service(String name) {
		return this.catalog.find(ServiceName.of(name)).orElseThrow();
	}

	@Test
	void aCallersFetchAndAQueuedFetchACallerJoinsRunBeforeTheRestOfTheQueue() throws Exception {
		// the warm-up: s1 holds the region's only slot, s2 to s4 wait behind it
		List<CompletableFuture<BrokeredToken>> warmUp = List.of("s1", "s2", "s3", "s4")
			.stream()
			.map((name) -> this.cache.load(service(name)))
			.toList();
		// a caller joins s4's queued fetch; another asks for s5, not queued at all
		CompletableFuture<BrokeredToken> joined = this.cache.loadForCaller(service("s4"));
		CompletableFuture<BrokeredToken> cold = this.cache.loadForCaller(service("s5"));

		this.firstFetchHolds.countDown();
		CompletableFuture.allOf(warmUp.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
		cold.get(10, TimeUnit.SECONDS);

		assertThat(joined.get().value()).isEqualTo("token-s4");
		assertThat(this.fetched).as("each fetched once, the callers' first")
			.containsExactly("s1", "s4", "s5", "s2", "s3");
	}

	@Test
	void manyCallersJoiningAQueuedFetchAddOneUrgentEntry() throws Exception {
		List<CompletableFuture<BrokeredToken>> warmUp = List.of("s1", "s2", "s3", "s4")
			.stream()
			.map((name) -> this.cache.load(service(name)))
			.toList();

		for (int i = 0; i < 50; i++) {
			this.cache.loadForCaller(service("s4"));
		}

		assertThat(this.slots.waiting("westeurope")).as("s2, s3, s4 and one urgent entry for s4").isEqualTo(4);
		this.firstFetchHolds.countDown();
		CompletableFuture.allOf(warmUp.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
		assertThat(this.fetched).containsExactly("s1", "s4", "s2", "s3");
	}

	@Test
	void aFetchWaitingLongerThanTheUrgentLeadGoesBeforeACallersFetch() throws Exception {
		CompletableFuture<BrokeredToken> first = this.cache.load(service("s1"));
		CompletableFuture<BrokeredToken> refresh = this.cache.load(service("s2"));
		this.clock.advance(FetchSlots.URGENT_LEAD.plusSeconds(1));
		CompletableFuture<BrokeredToken> cold = this.cache.loadForCaller(service("s5"));

		this.firstFetchHolds.countDown();
		CompletableFuture.allOf(first, refresh, cold).get(10, TimeUnit.SECONDS);

		assertThat(this.fetched).containsExactly("s1", "s2", "s5");
	}

}
