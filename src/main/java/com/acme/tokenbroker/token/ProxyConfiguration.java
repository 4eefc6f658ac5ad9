package com.acme.tokenbroker.token;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.VerifiedTokenCache;
import com.acme.tokenbroker.system.OutboundTls;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Filter;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.web.firewall.HttpFirewall;

/**
 * Wires the injecting proxy: its own HTTP client (built by {@link ScoringProxy}), with
 * the trust and outbound proxy of every outbound call ({@link OutboundTls}), and the
 * proxy's timeouts; and its fast path ({@link ScoringProxyFilter}).
 */
@Configuration(proxyBeanMethods = false)
class ProxyConfiguration {

	@Bean
	ScoringProxy scoringProxy(TokenBroker broker, OutboundTls tls, ProxyProperties properties,
			MeterRegistry meterRegistry) {
		return new ScoringProxy(broker, tls.sslContext(), tls.proxy(), properties, meterRegistry);
	}

	/**
	 * The proxy's fast path, ahead of Spring Security's filter chain as the token
	 * endpoint's is, and switched by the same {@code broker.tokens.fast-path}; off, or
	 * with the proxy off, the registration exists but is disabled, so that the bean
	 * definitions are the same either way, as Spring AOT needs.
	 */
	@Bean
	FilterRegistrationBean<Filter> scoringProxyFilter(TokenProperties tokens, ProxyProperties properties,
			ServiceCatalog catalog, VerifiedTokenCache verified, AccessPolicy accessPolicy,
			ScoringProxyController controller, HttpFirewall firewall, MeterRegistry meterRegistry) {
		if (!tokens.fastPath() || !properties.enabled()) {
			FilterRegistrationBean<Filter> off = new FilterRegistrationBean<>(
					(request, response, chain) -> chain.doFilter(request, response));
			off.setName("scoringProxyFilter");
			off.setEnabled(false);
			return off;
		}
		FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(
				new ScoringProxyFilter(catalog, verified, accessPolicy, controller, firewall, meterRegistry));
		registration.setName("scoringProxyFilter");
		registration.addUrlPatterns(ScoringProxyFilter.PREFIX + "*");
		registration.setOrder(TokenConfiguration.FAST_PATH_ORDER);
		return registration;
	}

}
