package com.acme.tokenbroker.bench;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.AccessProperties;
import com.acme.tokenbroker.security.Caller;
import com.acme.tokenbroker.support.FakeTokenSource;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenBroker;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.token.TokenProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Microbenchmarks of the hot path's pieces: the cache read, the broker's decision on a
 * cached token, the caller extraction from a decoded JWT and the authorization decision.
 * Run with {@code bench/jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmarks {

	private ServiceName name;

	private ServiceDescriptor service;

	private TokenCache cache;

	private TokenBroker broker;

	private AccessPolicy policy;

	private Caller caller;

	private Jwt jwt;

	private ExecutorService executor;

	@Setup
	public void setUp() throws Exception {
		Clock clock = Clock.systemUTC();
		String[] names = new String[50];
		for (int i = 0; i < names.length; i++) {
			names[i] = "svc-" + i;
		}
		ServiceCatalog catalog = TestCatalog.withServices(names);
		TokenProperties properties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
				Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 100,
				Duration.ZERO, 2, Duration.ofHours(24), Duration.ofMinutes(10));
		RefreshPolicy refreshPolicy = new RefreshPolicy(properties, new SplittableRandom(1)::nextLong);
		this.executor = Executors.newFixedThreadPool(2);
		this.cache = new TokenCache(catalog, new FakeTokenSource(clock), refreshPolicy, properties, this.executor,
				new SimpleMeterRegistry(), clock);
		this.broker = new TokenBroker(catalog, this.cache, refreshPolicy, properties,
				new com.acme.tokenbroker.system.CircuitBreakers(
						io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry.ofDefaults(), clock),
				new SimpleMeterRegistry(), clock);
		this.name = ServiceName.of("svc-42");
		this.service = catalog.find(this.name).orElseThrow();
		this.broker.tokenFor(this.service, Duration.ZERO);

		List<AccessProperties.Rule> rules = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			rules.add(new AccessProperties.Rule("r" + i, null, List.of("system:serviceaccount:ns:app-" + i), null, null,
					null, List.of("svc-" + i + "*")));
		}
		rules.add(new AccessProperties.Rule("scorer", null, List.of("system:serviceaccount:ns:scorer"), null,
				List.of("Scorer"), null, List.of("svc-4*")));
		this.policy = new AccessPolicy(new AccessProperties(List.of(), rules, Duration.ofSeconds(60)));
		this.jwt = Jwt.withTokenValue("t")
			.header("alg", "RS256")
			.issuer("https://issuer.example/")
			.subject("system:serviceaccount:ns:scorer")
			.claim("azp", "scorer")
			.claim("roles", List.of("Scorer", "Reader"))
			.issuedAt(Instant.now())
			.expiresAt(Instant.now().plusSeconds(3600))
			.build();
		this.caller = Caller.from(this.jwt);
	}

	@TearDown
	public void tearDown() {
		this.executor.shutdownNow();
	}

	@Benchmark
	public Object cacheRead() {
		return this.cache.current(this.name);
	}

	@Benchmark
	public Object brokerTokenForCachedToken() {
		return this.broker.tokenFor(this.service, Duration.ZERO);
	}

	@Benchmark
	public Object callerFromJwt() {
		return Caller.from(this.jwt);
	}

	@Benchmark
	public boolean authorizationDecision() {
		return this.policy.isAllowed(this.caller, this.name);
	}

	@Benchmark
	public boolean authorizationDecisionDenied() {
		return this.policy.isAllowed(new Caller("https://issuer.example/", "someone-else", null, Set.of(), Set.of()),
				this.name);
	}

}
