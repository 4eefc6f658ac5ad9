package com.acme.tokenbroker.security;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who may call the broker and for which services, bound from {@code broker.access}.
 * Callers present a JWT from one of the trusted issuers with one of its audiences; a
 * caller may fetch a service only if a rule grants it (deny by default).
 *
 * @param issuers trusted JWT issuers, e.g. Entra ID and the AKS cluster's OIDC issuer
 * @param rules grants from callers to services
 * @param clockSkew tolerance on {@code exp} and {@code nbf} of caller tokens
 * @param adminRules grants of administrative actions (key rotation) on the services they
 * name; none by default
 */
@ConfigurationProperties("broker.access")
public record AccessProperties(List<Issuer> issuers, List<Rule> rules, @DefaultValue("60s") Duration clockSkew,
		List<Rule> adminRules) {

	@ConstructorBinding
	public AccessProperties {
		issuers = (issuers != null) ? List.copyOf(issuers) : List.of();
		rules = (rules != null) ? List.copyOf(rules) : List.of();
		adminRules = (adminRules != null) ? List.copyOf(adminRules) : List.of();
	}

	public AccessProperties(List<Issuer> issuers, List<Rule> rules, Duration clockSkew) {
		this(issuers, rules, clockSkew, List.of());
	}

	/**
	 * A trusted issuer of caller tokens.
	 *
	 * @param issuerUri the exact {@code iss} value
	 * @param jwkSetUri where its signing keys are published
	 * @param audiences accepted {@code aud} values: at least one must be present in the
	 * token
	 * @param maxTokenLifetime the longest {@code exp - iat} accepted; a token without
	 * {@code iat} is refused. Entra tokens live 60 to 90 minutes; Kubernetes
	 * service-account tokens can be made to live a year, and one copied out of a pod
	 * should not be good for that long
	 */
	public record Issuer(String issuerUri, URI jwkSetUri, List<String> audiences,
			@DefaultValue("24h") Duration maxTokenLifetime) {

		/** The default of {@link #maxTokenLifetime()}. */
		public static final Duration DEFAULT_MAX_TOKEN_LIFETIME = Duration.ofHours(24);

		@ConstructorBinding
		public Issuer {
			maxTokenLifetime = (maxTokenLifetime != null) ? maxTokenLifetime : DEFAULT_MAX_TOKEN_LIFETIME;
		}

		public Issuer(String issuerUri, URI jwkSetUri, List<String> audiences) {
			this(issuerUri, jwkSetUri, audiences, DEFAULT_MAX_TOKEN_LIFETIME);
		}

	}

	/**
	 * A grant. Every selector given must match (AND); within a selector, any listed value
	 * matches (OR). A rule must name at least one selector. When more than one issuer is
	 * trusted, every rule names its issuer: a {@code sub}, client id or role means
	 * nothing outside the issuer that vouches for it (a dev cluster can mint any
	 * {@code system:serviceaccount:*} subject). A rule that names only an issuer grants
	 * every caller of that issuer (a whole cluster or tenant) and must say so with
	 * {@code allowAnySubject}.
	 *
	 * @param name a label for logs and audits
	 * @param issuer only tokens from this issuer: one of the trusted issuers'
	 * {@code issuer-uri}
	 * @param subjects {@code sub} values, e.g.
	 * {@code system:serviceaccount:payments:scorer}
	 * @param clientIds {@code azp} or {@code appid} values
	 * @param roles values of the {@code roles} claim
	 * @param groups values of the {@code groups} claim
	 * @param services service names or patterns with {@code *} wildcards, e.g.
	 * {@code fraud-*}
	 * @param allowAnySubject whether a rule with an issuer and no other selector may
	 * grant every caller of that issuer; false by default
	 */
	public record Rule(String name, String issuer, List<String> subjects, List<String> clientIds, List<String> roles,
			List<String> groups, List<String> services, boolean allowAnySubject) {

		@ConstructorBinding
		public Rule {
			subjects = (subjects != null) ? List.copyOf(subjects) : List.of();
			clientIds = (clientIds != null) ? List.copyOf(clientIds) : List.of();
			roles = (roles != null) ? List.copyOf(roles) : List.of();
			groups = (groups != null) ? List.copyOf(groups) : List.of();
			services = (services != null) ? List.copyOf(services) : List.of();
		}

		public Rule(String name, String issuer, List<String> subjects, List<String> clientIds, List<String> roles,
				List<String> groups, List<String> services) {
			this(name, issuer, subjects, clientIds, roles, groups, services, false);
		}

	}

}
