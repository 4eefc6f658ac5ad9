package com.acme.tokenbroker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.token.TokenSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12, item 8: a region whose fetches never finish (a blackholed listener) holds
 * only its own fetch slots; the other regions' fetches run at once.
 */
@SimulatedWorkspaceTest(properties = "broker.tokens.fetch-concurrency=2")
class RegionFetchSlotsIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	/**
	 * Released after the test: every westeurope fetch hangs on it, as on a connect to a
	 * dead listener.
	 */
	static final CountDownLatch WESTEUROPE_BLACKHOLE = new CountDownLatch(1);

	static final AtomicInteger HANGING = new AtomicInteger();

	@AfterAll
	static void releaseBlackhole() {
		WESTEUROPE_BLACKHOLE.countDown();
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class BlackholedRegion {

		@Bean
		@Primary
		TokenSource blackholedWesteurope() {
			return (service, held) -> {
				if (service.region().equals("westeurope")) {
					HANGING.incrementAndGet();
					try {
						WESTEUROPE_BLACKHOLE.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					throw new IllegalStateException("blackholed");
				}
				Instant now = CLOCK.instant();
				return new BrokeredToken(service.name(), "Bearer", "token-" + service.name(),
						now.plus(Duration.ofMinutes(30)), now.plus(Duration.ofHours(12)), now);
			};
		}

	}

	@Autowired
	TokenCache cache;

	@Autowired
	ServiceCatalog catalog;

	@Test
	void fetchesHangingInOneRegionDoNotDelayAnotherRegionsFetch() throws Exception {
		for (String name : List.of("v1-weu", "v2-weu", "spare-1", "spare-3")) {
			this.cache.load(TestCatalog.inRegion(this.catalog, "westeurope", name));
		}

		// the westeurope loads start on the cache's executor: the test proves something
		// only
		// once both of the region's slots are taken
		await().atMost(Duration.ofSeconds(10)).until(() -> HANGING.get() == 2);

		BrokeredToken eastus = this.cache.load(TestCatalog.inRegion(this.catalog, "eastus", "v1-eus"))
			.get(10, TimeUnit.SECONDS);

		assertThat(eastus.value()).isEqualTo("token-v1-eus");
		assertThat(HANGING.get()).as("westeurope fetches holding their region's two slots").isEqualTo(2);
	}

}
