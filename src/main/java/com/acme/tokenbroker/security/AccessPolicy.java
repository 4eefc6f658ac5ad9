package com.acme.tokenbroker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.InvalidConfigurationException;

import org.springframework.util.StringUtils;

/**
 * Decides whether a caller may fetch a service: deny unless a rule of
 * {@code broker.access.rules} grants it. Rules are checked at start: a rule without any
 * selector or without services stops the boot, since it would grant everyone or no one;
 * so does a rule naming an issuer that is not trusted, a rule without an issuer when more
 * than one issuer is trusted (a subject or role means nothing outside the issuer that
 * vouches for it), and a rule naming only an issuer without
 * {@code allow-any-subject: true}. A caller without a claim a rule looks at ({@code sub},
 * {@code azp}/{@code appid}, {@code roles}, {@code groups}) is simply not matched by that
 * rule.
 */
public class AccessPolicy {

	private final List<CompiledRule> rules;

	private final List<CompiledRule> adminRules;

	public AccessPolicy(AccessProperties properties) {
		List<String> issuers = properties.issuers().stream().map(AccessProperties.Issuer::issuerUri).toList();
		this.rules = compile("broker.access.rules", properties.rules(), issuers);
		this.adminRules = compile("broker.access.admin-rules", properties.adminRules(), issuers);
	}

	private static List<CompiledRule> compile(String property, List<AccessProperties.Rule> rules,
			List<String> issuers) {
		List<CompiledRule> compiled = new ArrayList<>();
		for (int i = 0; i < rules.size(); i++) {
			compiled.add(new CompiledRule(property + "[" + i + "]", rules.get(i), issuers));
		}
		return List.copyOf(compiled);
	}

	/**
	 * @param caller the authenticated caller
	 * @param service the service to administer
	 * @return whether some rule of {@code broker.access.admin-rules} grants the caller
	 * administration of it
	 */
	public boolean isAdmin(Caller caller, ServiceName service) {
		return matches(this.adminRules, caller, service);
	}

	/**
	 * @param caller the authenticated caller
	 * @param service the service asked for
	 * @return whether some rule grants the caller this service
	 */
	public boolean isAllowed(Caller caller, ServiceName service) {
		return matches(this.rules, caller, service);
	}

	/**
	 * @param service a service
	 * @return the rules of {@code broker.access.rules} that grant it to someone, each as
	 * its property and name, in configuration order: two services with the same list are
	 * granted to the same callers
	 */
	public List<String> rulesGranting(ServiceName service) {
		List<String> granting = new ArrayList<>();
		for (CompiledRule rule : this.rules) {
			if (rule.covers(service)) {
				granting.add(rule.label);
			}
		}
		return granting;
	}

	private static boolean matches(List<CompiledRule> rules, Caller caller, ServiceName service) {
		for (CompiledRule rule : rules) {
			if (rule.matches(caller) && rule.covers(service)) {
				return true;
			}
		}
		return false;
	}

	private static final class CompiledRule {

		private final AccessProperties.Rule rule;

		private final String label;

		private final List<Pattern> services;

		CompiledRule(String property, AccessProperties.Rule rule, List<String> issuers) {
			this.rule = rule;
			this.label = StringUtils.hasText(rule.name()) ? property + " (" + rule.name() + ")" : property;
			boolean namesCallers = !rule.subjects().isEmpty() || !rule.clientIds().isEmpty() || !rule.roles().isEmpty()
					|| !rule.groups().isEmpty();
			if (!StringUtils.hasText(rule.issuer())) {
				if (!namesCallers && !rule.allowAnySubject()) {
					throw new InvalidConfigurationException(property,
							"names no caller: give at least one of issuer, subjects, client-ids, roles, groups");
				}
				if (rule.allowAnySubject()) {
					throw new InvalidConfigurationException(property + ".issuer",
							"is required with allow-any-subject: name the issuer whose every caller is granted");
				}
				if (issuers.size() > 1) {
					throw new InvalidConfigurationException(property + ".issuer",
							"is required when more than one issuer is trusted: name one of broker.access.issuers[].issuer-uri "
									+ issuers);
				}
			}
			else if (!issuers.isEmpty() && !issuers.contains(rule.issuer())) {
				throw new InvalidConfigurationException(property + ".issuer", "'" + rule.issuer()
						+ "' is not a trusted issuer: name one of broker.access.issuers[].issuer-uri " + issuers);
			}
			else if (!namesCallers && !rule.allowAnySubject()) {
				throw new InvalidConfigurationException(property + ".allow-any-subject",
						"must be true for a rule that names only an issuer: it grants every caller of '" + rule.issuer()
								+ "' (or add subjects, client-ids, roles or groups)");
			}
			if (rule.services().isEmpty()) {
				throw new InvalidConfigurationException(property + ".services",
						"must list at least one service or pattern");
			}
			List<Pattern> patterns = new ArrayList<>();
			for (String service : rule.services()) {
				if (!StringUtils.hasText(service) || !service.matches("[A-Za-z0-9._*-]{1,64}")) {
					throw new InvalidConfigurationException(property + ".services",
							"'" + service + "' is not a service name or a pattern with '*'");
				}
				patterns.add(Pattern.compile(glob(service)));
			}
			this.services = List.copyOf(patterns);
		}

		private static String glob(String pattern) {
			return java.util.Arrays.stream(pattern.split("\\*", -1))
				.map(Pattern::quote)
				.collect(java.util.stream.Collectors.joining(".*"));
		}

		/**
		 * Null-safe: immutable lists and sets throw on {@code contains(null)}, and a
		 * claim may be missing.
		 */
		boolean matches(Caller caller) {
			return (!StringUtils.hasText(this.rule.issuer()) || this.rule.issuer().equals(caller.issuer()))
					&& (this.rule.subjects().isEmpty() || isListed(this.rule.subjects(), caller.subject()))
					&& (this.rule.clientIds().isEmpty() || isListed(this.rule.clientIds(), caller.clientId()))
					&& (this.rule.roles().isEmpty() || anyListed(this.rule.roles(), caller.roles()))
					&& (this.rule.groups().isEmpty() || anyListed(this.rule.groups(), caller.groups()));
		}

		private static boolean isListed(List<String> values, String value) {
			return value != null && values.contains(value);
		}

		private static boolean anyListed(List<String> values, Set<String> claim) {
			return claim != null && values.stream().anyMatch(claim::contains);
		}

		boolean covers(ServiceName service) {
			for (Pattern pattern : this.services) {
				if (pattern.matcher(service.value()).matches()) {
					return true;
				}
			}
			return false;
		}

	}

}
