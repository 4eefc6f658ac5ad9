package com.acme.tokenbroker.token;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.principal.Identities;
import com.acme.tokenbroker.support.TestCatalog;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * Issue 14, item 3: with a large catalog, one full collection once the warm-up has ended
 * (failed loads included), so that the serial collector gives back the heap that binding
 * the catalog and warming its tokens grew; none with a small catalog, nor before the last
 * load ends.
 */
class TokenRefresherWarmUpTests {

	final TokenProperties properties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
			Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), true, 20_000,
			Duration.ZERO, 4, Duration.ofHours(24), Duration.ofMinutes(10));

	final AtomicInteger collections = new AtomicInteger();

	@Test
	void aLargeCatalogIsCollectedOnceAfterItsLastWarmUpLoadEndedFailedOrNot() {
		ServiceCatalog catalog = catalog(TokenRefresher.COMPACT_AFTER_WARM_UP);
		CompletableFuture<BrokeredToken> last = new CompletableFuture<>();
		TokenCache cache = mock(TokenCache.class);
		given(cache.load(any())).willReturn(CompletableFuture.completedFuture(null),
				CompletableFuture.failedFuture(new IllegalStateException("upstream down")), last);

		refresher(cache, catalog).start();

		verify(cache, times(TokenRefresher.COMPACT_AFTER_WARM_UP)).load(any());
		assertThat(this.collections).as("the last load is under way").hasValue(0);
		last.complete(null);
		assertThat(this.collections).hasValue(1);
	}

	@Test
	void aSmallCatalogIsNotCollected() {
		TokenCache cache = mock(TokenCache.class);
		given(cache.load(any())).willReturn(CompletableFuture.completedFuture(null));

		refresher(cache, catalog(TokenRefresher.COMPACT_AFTER_WARM_UP - 1)).start();

		assertThat(this.collections).hasValue(0);
	}

	private TokenRefresher refresher(TokenCache cache, ServiceCatalog catalog) {
		return new TokenRefresher(cache, catalog, this.properties, mock(Identities.class), List.of(),
				this.collections::incrementAndGet);
	}

	private static ServiceCatalog catalog(int services) {
		return TestCatalog
			.withServices(IntStream.range(0, services).mapToObj((i) -> "svc-" + i).toArray(String[]::new));
	}

}
