package com.acme.tokenbroker.security;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;

import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.system.OutboundTls;
import com.acme.tokenbroker.system.StartTask;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationManagerResolver;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.authentication.JwtIssuerAuthenticationManagerResolver;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.BearerTokenError;
import org.springframework.security.oauth2.server.resource.BearerTokenErrorCodes;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * Inbound security. Actuator endpoints live on the management port and need no caller
 * token (probes and scrapers), nor does the OpenAPI document; everything else requires a
 * JWT from a trusted issuer ({@code broker.access.issuers}), and {@code /tokens/**} and
 * {@code /services/**} (the injecting proxy) additionally an access rule for the service,
 * checked by the controller. Failures are problem+json with the RFC 6750
 * {@code WWW-Authenticate} header kept.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

	@Bean
	AccessPolicy accessPolicy(AccessProperties properties) {
		return new AccessPolicy(properties);
	}

	/**
	 * No observations of the security filter chain. Wrapping each of its filters in an
	 * observation, with a timer per filter, was one of the largest shares of a cached
	 * request's CPU (bench/README.md) and nothing reads them; every request is still
	 * timed by {@code http.server.requests}.
	 */
	@Bean
	static SecurityObservationSettings securityObservationSettings() {
		return SecurityObservationSettings.noObservations();
	}

	/**
	 * Spring Security's default firewall, with its default header-value rule checked
	 * without a regex.
	 */
	@Bean
	static HttpFirewall httpFirewall() {
		StrictHttpFirewall firewall = new StrictHttpFirewall();
		firewall.setAllowedHeaderValues(HeaderValues.ALLOWED);
		return firewall;
	}

	/**
	 * Caller tokens verified once, shared by the API's security chain and the token
	 * endpoint's fast path, which only reads it.
	 */
	@Bean
	VerifiedTokenCache verifiedTokenCache(Clock clock) {
		return new VerifiedTokenCache(clock);
	}

	/**
	 * The management port: health (with its liveness and readiness groups), info and
	 * Prometheus for anyone who reaches it (kubelet probes and scrapers carry no
	 * credential), every other endpoint refused with a 403 problem even when an operator
	 * widens {@code management.endpoints.web.exposure}: a heap dump or {@code env} holds
	 * every token, key, client secret and fleet key. Anonymous health shows statuses only
	 * ({@code show-details: never}).
	 */
	@Bean
	@Order(1)
	SecurityFilterChain managementSecurityFilterChain(HttpSecurity http, JsonMapper jsonMapper) throws Exception {
		AuthenticationEntryPoint refused = (request, response, ex) -> Problems.write(jsonMapper, request, response,
				HttpStatus.FORBIDDEN, Problems.FORBIDDEN, "Forbidden",
				"The management port serves only health, info and prometheus");
		http.securityMatcher(EndpointRequest.toAnyEndpoint())
			.authorizeHttpRequests(
					(requests) -> requests.requestMatchers(EndpointRequest.to("health", "info", "prometheus"))
						.permitAll()
						.anyRequest()
						.denyAll())
			.exceptionHandling((exceptions) -> exceptions.authenticationEntryPoint(refused)
				.accessDeniedHandler((request, response, ex) -> refused.commence(request, response, null)))
			.csrf((csrf) -> csrf.disable())
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache((cache) -> cache.disable());
		return http.build();
	}

	@Bean
	CallerJwtDecoders callerJwtDecoders(AccessProperties access, OutboundTls tls, Clock clock) {
		return CallerJwtDecoders.create(access, tls, clock);
	}

	/**
	 * The trusted issuers' key sets, fetched at start rather than by the first caller.
	 */
	@Bean
	StartTask callerKeySets(CallerJwtDecoders decoders) {
		return StartTask.of("the trusted issuers' key sets", decoders::loadKeySets);
	}

	@Bean
	@Order(10)
	SecurityFilterChain apiSecurityFilterChain(HttpSecurity http, CallerJwtDecoders decoders,
			VerifiedTokenCache verified, JsonMapper jsonMapper) throws Exception {
		Map<String, AuthenticationManager> managers = new java.util.HashMap<>();
		decoders.byIssuer()
			.forEach((issuer, decoder) -> managers.put(issuer,
					new ProviderManager(new JwtAuthenticationProvider(decoder))));
		JwtIssuerAuthenticationManagerResolver byIssuer = new JwtIssuerAuthenticationManagerResolver(managers::get);
		// Each caller token is verified once, then served from the cache until its exp
		// (bounded): see VerifiedTokenCache
		AuthenticationManagerResolver<HttpServletRequest> resolver = (request) -> verified
			.authenticating(byIssuer.resolve(request));
		AuthenticationEntryPoint entryPoint = new ProblemAuthenticationEntryPoint(jsonMapper);
		AccessDeniedHandler deniedHandler = new ProblemAccessDeniedHandler(jsonMapper);
		// The OpenAPI document (docs/api.md) describes the API and holds no token: anyone
		// who reaches the port may read it, as they may read docs/openapi.yaml
		http.authorizeHttpRequests(
				(requests) -> requests.requestMatchers(HttpMethod.GET, "/v3/api-docs", "/v3/api-docs.yaml")
					.permitAll()
					.requestMatchers("/tokens", "/tokens/**", "/services/**", "/admin/**")
					.authenticated()
					.anyRequest()
					.denyAll())
			.oauth2ResourceServer((resourceServer) -> resourceServer.authenticationManagerResolver(resolver)
				.bearerTokenResolver(new HeaderBearerTokenResolver())
				.authenticationEntryPoint(entryPoint)
				.accessDeniedHandler(deniedHandler))
			.exceptionHandling(
					(exceptions) -> exceptions.authenticationEntryPoint(entryPoint).accessDeniedHandler(deniedHandler))
			.csrf((csrf) -> csrf.disable())
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache((cache) -> cache.disable())
			.anonymous(Customizer.withDefaults());
		return http.build();
	}

	@Bean
	RequestRejectedHandler requestRejectedHandler(JsonMapper jsonMapper) {
		return (request, response, ex) -> Problems.write(jsonMapper, request, response, HttpStatus.BAD_REQUEST,
				Problems.REQUEST_REJECTED, Problems.REQUEST_REJECTED_TITLE, Problems.REQUEST_REJECTED_DETAIL);
	}

	/**
	 * 401 with an RFC 6750 challenge and a problem body. The challenge carries
	 * {@code error="invalid_token"} and one fixed description whenever a token was
	 * presented and refused, whatever the reason: Spring Security's descriptions tell an
	 * untrusted issuer ("Invalid issuer") from a bad signature, audience or expiry, which
	 * lets anyone probe which issuers the broker trusts (issue 11, item 9). Other errors
	 * (a malformed header) keep their description, which says nothing about the broker's
	 * trust.
	 */
	static final class ProblemAuthenticationEntryPoint implements AuthenticationEntryPoint {

		/** The only description a refused token gets. */
		static final String INVALID_TOKEN_DESCRIPTION = "The bearer token is not valid for this broker";

		private final JsonMapper jsonMapper;

		ProblemAuthenticationEntryPoint(JsonMapper jsonMapper) {
			this.jsonMapper = jsonMapper;
		}

		@Override
		public void commence(HttpServletRequest request, HttpServletResponse response,
				AuthenticationException authException) throws IOException {
			String challenge = "Bearer";
			if (authException instanceof OAuth2AuthenticationException oauth2
					&& oauth2.getError() instanceof BearerTokenError error) {
				String description = BearerTokenErrorCodes.INVALID_TOKEN.equals(error.getErrorCode())
						? INVALID_TOKEN_DESCRIPTION : error.getDescription();
				challenge = "Bearer error=\"" + error.getErrorCode() + "\"";
				if (description != null) {
					challenge += ", error_description=\""
							+ description.replace("\"", "'").replaceAll("[\\p{Cntrl}]", " ") + "\"";
				}
			}
			response.setHeader(HttpHeaders.WWW_AUTHENTICATE, challenge);
			Problems.write(this.jsonMapper, request, response, HttpStatus.UNAUTHORIZED, Problems.UNAUTHENTICATED,
					"Unauthenticated",
					"A valid bearer token from a trusted issuer, meant for this broker, is required");
		}

	}

	/** 403 with the RFC 6750 {@code insufficient_scope} challenge and a problem body. */
	static final class ProblemAccessDeniedHandler implements AccessDeniedHandler {

		private final JsonMapper jsonMapper;

		ProblemAccessDeniedHandler(JsonMapper jsonMapper) {
			this.jsonMapper = jsonMapper;
		}

		@Override
		public void handle(HttpServletRequest request, HttpServletResponse response,
				org.springframework.security.access.AccessDeniedException accessDeniedException) throws IOException {
			response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"insufficient_scope\"");
			Problems.write(this.jsonMapper, request, response, HttpStatus.FORBIDDEN, Problems.FORBIDDEN, "Forbidden",
					"The caller may not use this endpoint");
		}

	}

}
