package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 6: after a service switches auth mode, the new credential replaces the
 * cached one at once, even when it expires sooner (a key lasts key-max-age, an aml_token
 * hours, an Entra token about one).
 */
class TokenCacheModeSwitchTests {

	private final MutableClock clock = MutableClock.startingAt("2026-11-28T10:00:00Z");

	private final ServiceCatalog catalog = TestCatalog.withServices("fraud");

	private final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud")).orElseThrow();

	private final ExecutorService executor = Executors.newSingleThreadExecutor();

	@AfterEach
	void tearDown() {
		this.executor.shutdownNow();
	}

	private BrokeredToken token(String type, Duration lifetime) {
		Instant now = this.clock.instant();
		return new BrokeredToken(this.fraud.name(), "Bearer", type + "-" + now, now.plus(lifetime.dividedBy(2)),
				now.plus(lifetime), now, type, null);
	}

	@ParameterizedTest
	@CsvSource({ "key, PT24H, aml_token, PT12H", "key, PT24H, aad_token, PT1H", "aml_token, PT12H, key, PT11H",
			"aml_token, PT12H, aad_token, PT1H", "aad_token, PT2H, key, PT1H", "aad_token, PT2H, aml_token, PT1H" })
	void loadWhenTheModeSwitchesToAShorterLivedCredentialThenTheNewOneIsServed(String from, Duration fromLifetime,
			String to, Duration toLifetime) throws Exception {
		AtomicReference<BrokeredToken> next = new AtomicReference<>(token(from, fromLifetime));
		TokenProperties properties = TokenBrokerTests.properties(Duration.ofSeconds(2));
		TokenCache cache = new TokenCache(this.catalog, (service, held) -> next.get(),
				new RefreshPolicy(properties, new SplittableRandom(7)::nextLong), properties, this.executor,
				new SimpleMeterRegistry(), this.clock);
		cache.load(this.fraud).get(5, TimeUnit.SECONDS);

		this.clock.advance(Duration.ofMinutes(1));
		next.set(token(to, toLifetime));
		cache.load(this.fraud).get(5, TimeUnit.SECONDS);

		assertThat(cache.current(this.fraud.name()).credentialType()).isEqualTo(to);
	}

	@ParameterizedTest
	@CsvSource({ "aml_token", "key", "aad_token" })
	void loadWhenTheSameTypeArrivesExpiringSoonerThenTheHeldOneStays(String type) throws Exception {
		AtomicReference<BrokeredToken> next = new AtomicReference<>(token(type, Duration.ofHours(12)));
		TokenProperties properties = TokenBrokerTests.properties(Duration.ofSeconds(2));
		TokenCache cache = new TokenCache(this.catalog, (service, held) -> next.get(),
				new RefreshPolicy(properties, new SplittableRandom(7)::nextLong), properties, this.executor,
				new SimpleMeterRegistry(), this.clock);
		BrokeredToken held = cache.load(this.fraud).get(5, TimeUnit.SECONDS);

		this.clock.advance(Duration.ofMinutes(1));
		next.set(token(type, Duration.ofHours(2)));
		cache.load(this.fraud).get(5, TimeUnit.SECONDS);

		assertThat(cache.current(this.fraud.name())).isEqualTo(held);
	}

}
