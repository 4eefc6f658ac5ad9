package com.acme.tokenbroker.security;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who may call the broker and for which services, bound from {@code broker.access}. Callers present a JWT from one
 * of the trusted issuers with one of its audiences; a caller may fetch a service only if a rule grants it (deny by
 * default).
 *
 * @param issuers trusted JWT issuers, e.g. Entra ID and the AKS cluster's OIDC issuer
 * @param rules grants from callers to services
 * @param clockSkew tolerance on {@code exp} and {@code nbf} of caller tokens
 * @param adminRules grants of administrative actions (key rotation) on the services they name; none by default
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
	 * @param audiences accepted {@code aud} values: at least one must be present in the token
	 */
	public record Issuer(String issuerUri, URI jwkSetUri, List<String> audiences) {
	}

	/**
	 * A grant. Every selector given must match (AND); within a selector, any listed value matches (OR). A rule must
	 * name at least one selector.
	 *
	 * @param name a label for logs and audits
	 * @param issuer only tokens from this issuer
	 * @param subjects {@code sub} values, e.g. {@code system:serviceaccount:payments:scorer}
	 * @param clientIds {@code azp} or {@code appid} values
	 * @param roles values of the {@code roles} claim
	 * @param groups values of the {@code groups} claim
	 * @param services service names or patterns with {@code *} wildcards, e.g. {@code fraud-*}
	 */
	public record Rule(String name, String issuer, List<String> subjects, List<String> clientIds, List<String> roles,
			List<String> groups, List<String> services) {

		public Rule {
			subjects = (subjects != null) ? List.copyOf(subjects) : List.of();
			clientIds = (clientIds != null) ? List.copyOf(clientIds) : List.of();
			roles = (roles != null) ? List.copyOf(roles) : List.of();
			groups = (groups != null) ? List.copyOf(groups) : List.of();
			services = (services != null) ? List.copyOf(services) : List.of();
		}

	}

}
