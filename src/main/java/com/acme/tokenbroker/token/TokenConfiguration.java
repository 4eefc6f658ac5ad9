package com.acme.tokenbroker.token;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.principal.Identities;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.VerifiedTokenCache;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import com.acme.tokenbroker.upstream.ServiceMetadataClient;
import com.acme.tokenbroker.upstream.UpstreamTokenClient;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Filter;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Wires the token cache, its refresher and the broker.
 */
@Configuration(proxyBeanMethods = false)
class TokenConfiguration {

	/**
	 * First of all filters: before Spring Security's filter chain
	 * ({@code SecurityFilterProperties.DEFAULT_FILTER_ORDER}, -100) and before the server
	 * observation filter (highest precedence + 1), see {@link CachedTokenFilter}.
	 */
	static final int FAST_PATH_ORDER = Ordered.HIGHEST_PRECEDENCE;

	/**
	 * The upstream source, wrapped by every {@link TokenSourceDecorator} (fleet mode's
	 * shared cache leaves it alone while fleet mode is off). A test that scripts the
	 * source declares its own as {@code @Primary}.
	 */
	@Bean
	TokenSource tokenSource(UpstreamTokenClient tokens, ServiceMetadataClient metadata, ServiceKeysClient keys,
			Identities identities, DataPlaneIsolation isolation, ServedKeySlot keySlots, RefreshPolicy policy,
			ObjectProvider<TokenSourceDecorator> decorators, Clock clock) {
		TokenSource source = new UpstreamTokenSource(tokens, metadata, keys, identities, isolation, keySlots, policy,
				clock);
		for (TokenSourceDecorator decorator : decorators.orderedStream().toList()) {
			source = decorator.decorate(source);
		}
		return source;
	}

	/**
	 * Checked at start even when a test replaces the token source: a configuration that
	 * leaks fails the boot.
	 */
	@Bean
	DataPlaneIsolation dataPlaneIsolation(ServiceCatalog catalog, AccessPolicy accessPolicy) {
		return DataPlaneIsolation.check(catalog, accessPolicy);
	}

	@Bean
	RefreshPolicy refreshPolicy(TokenProperties properties, CredentialProperties credentials) {
		return new RefreshPolicy(properties, credentials, new SecureRandom());
	}

	@Bean(destroyMethod = "shutdownNow")
	FetchSlots tokenFetchSlots(TokenProperties properties, Clock clock) {
		return new FetchSlots(properties.fetchConcurrency(), clock);
	}

	@Bean
	@SuppressWarnings({ "unchecked", "rawtypes" })
	TokenCache tokenCache(ServiceCatalog catalog, TokenSource source, RefreshPolicy policy, TokenProperties properties,
			FetchSlots tokenFetchSlots, CaffeineCacheManager cacheManager, MeterRegistry meterRegistry, Clock clock,
			Environment environment) {
		TokenCache cache = new TokenCache(catalog, source, policy, properties, tokenFetchSlots::forRegion,
				meterRegistry, clock);
		cacheManager.registerCustomCache(TokenCache.CACHE_NAME,
				(com.github.benmanes.caffeine.cache.Cache) cache.nativeCache());
		TokenMetrics.register(cache, meterRegistry, commonTags(environment), clock);
		TokenMetrics.registerMinimumRunway(cache, catalog, meterRegistry, clock);
		return cache;
	}

	/**
	 * The tags Spring Boot adds to every meter ({@code management.metrics.tags}), for the
	 * series the broker writes to Prometheus itself.
	 */
	private static Map<String, String> commonTags(Environment environment) {
		return Binder.get(environment)
			.bind("management.metrics.tags", Bindable.mapOf(String.class, String.class))
			.orElse(Map.of());
	}

	@Bean
	TokenRefresher tokenRefresher(TokenCache cache, ServiceCatalog catalog, TokenProperties properties,
			Identities identities, ObjectProvider<RefreshTick> ticks, MeterRegistry meterRegistry, Clock clock) {
		return new TokenRefresher(cache, catalog, properties, identities, ticks.orderedStream().toList(), meterRegistry,
				clock);
	}

	@Bean
	TokenStatuses tokenStatuses(TokenCache cache, CircuitBreakers breakers, Clock clock) {
		return new TokenStatuses(cache, breakers, clock);
	}

	@Bean("tokens")
	TokensHealthIndicator tokensHealthIndicator(TokenStatuses statuses, CircuitBreakers breakers,
			TokenProperties properties) {
		return new TokensHealthIndicator(statuses, breakers, properties.minRunway());
	}

	@Bean
	TokenResponseBodies tokenResponseBodies(JsonMapper jsonMapper) {
		return new TokenResponseBodies(jsonMapper);
	}

	/**
	 * The fast path of {@code GET /tokens/{service}} ({@link CachedTokenFilter}), ahead
	 * of Spring Security's filter chain; {@code broker.tokens.fast-path=false} leaves
	 * every request to the full chain: the registration then exists but is disabled (no
	 * filter reaches the server), so that the bean definitions are the same either way,
	 * as Spring AOT needs.
	 */
	@Bean
	FilterRegistrationBean<Filter> cachedTokenFilter(TokenProperties properties, ServiceCatalog catalog,
			VerifiedTokenCache verified, AccessPolicy accessPolicy, TokenBroker broker, TokenResponseBodies bodies,
			MeterRegistry meterRegistry) {
		if (!properties.fastPath()) {
			FilterRegistrationBean<Filter> off = new FilterRegistrationBean<>(
					(request, response, chain) -> chain.doFilter(request, response));
			off.setName("cachedTokenFilter");
			off.setEnabled(false);
			return off;
		}
		FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(
				new CachedTokenFilter(catalog, verified, accessPolicy, broker, bodies, meterRegistry));
		registration.setName("cachedTokenFilter");
		registration.addUrlPatterns(CachedTokenFilter.PREFIX + "*");
		registration.setOrder(FAST_PATH_ORDER);
		return registration;
	}

	@Bean
	TokenBroker tokenBroker(ServiceCatalog catalog, TokenCache cache, RefreshPolicy policy, TokenProperties properties,
			CircuitBreakers breakers, MeterRegistry meterRegistry, Clock clock, Environment environment) {
		return new TokenBroker(catalog, cache, policy, properties, breakers, meterRegistry, commonTags(environment),
				clock);
	}

}
