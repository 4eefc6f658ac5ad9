package com.acme.tokenbroker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.catalog.ServiceName;

import org.springframework.util.StringUtils;

/**
 * Decides whether a caller may fetch a service: deny unless a rule of {@code broker.access.rules} grants it.
 * Rules are checked at start: a rule without any selector or without services stops the boot, since it would
 * grant everyone or no one.
 */
public class AccessPolicy {

	private final List<CompiledRule> rules;

	private final List<CompiledRule> adminRules;

	public AccessPolicy(AccessProperties properties) {
		this.rules = compile("broker.access.rules", properties.rules());
		this.adminRules = compile("broker.access.admin-rules", properties.adminRules());
	}

	private static List<CompiledRule> compile(String property, List<AccessProperties.Rule> rules) {
		List<CompiledRule> compiled = new ArrayList<>();
		for (int i = 0; i < rules.size(); i++) {
			compiled.add(new CompiledRule(property + "[" + i + "]", rules.get(i)));
		}
		return List.copyOf(compiled);
	}

	/**
	 * @param caller the authenticated caller
	 * @param service the service to administer
	 * @return whether some rule of {@code broker.access.admin-rules} grants the caller administration of it
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
	 * @return the rules of {@code broker.access.rules} that grant it to someone, each as its property and name, in
	 * configuration order: two services with the same list are granted to the same callers
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

		CompiledRule(String property, AccessProperties.Rule rule) {
			this.rule = rule;
			this.label = StringUtils.hasText(rule.name()) ? property + " (" + rule.name() + ")" : property;
			if (!StringUtils.hasText(rule.issuer()) && rule.subjects().isEmpty() && rule.clientIds().isEmpty()
					&& rule.roles().isEmpty() && rule.groups().isEmpty()) {
				throw new InvalidConfigurationException(property,
						"names no caller: give at least one of issuer, subjects, client-ids, roles, groups");
			}
			if (rule.services().isEmpty()) {
				throw new InvalidConfigurationException(property + ".services", "must list at least one service or pattern");
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

		boolean matches(Caller caller) {
			return (!StringUtils.hasText(this.rule.issuer()) || this.rule.issuer().equals(caller.issuer()))
					&& (this.rule.subjects().isEmpty() || this.rule.subjects().contains(caller.subject()))
					&& (this.rule.clientIds().isEmpty() || this.rule.clientIds().contains(caller.clientId()))
					&& (this.rule.roles().isEmpty() || this.rule.roles().stream().anyMatch(caller.roles()::contains))
					&& (this.rule.groups().isEmpty() || this.rule.groups().stream().anyMatch(caller.groups()::contains));
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
