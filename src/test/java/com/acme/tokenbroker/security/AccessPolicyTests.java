package com.acme.tokenbroker.security;

import java.util.List;
import java.util.Set;

import com.acme.tokenbroker.catalog.InvalidConfigurationException;
import com.acme.tokenbroker.catalog.ServiceName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class AccessPolicyTests {

	private static final String ISSUER = "https://issuer.example/tenant/v2.0";

	private static AccessProperties.Rule rule(String issuer, List<String> subjects, List<String> clientIds,
			List<String> roles, List<String> groups, List<String> services) {
		return new AccessProperties.Rule("r", issuer, subjects, clientIds, roles, groups, services);
	}

	private static AccessPolicy policy(AccessProperties.Rule... rules) {
		return new AccessPolicy(new AccessProperties(List.of(), List.of(rules), java.time.Duration.ofSeconds(60)));
	}

	private static Caller caller(String subject, String clientId, Set<String> roles) {
		return new Caller(ISSUER, subject, clientId, roles, Set.of());
	}

	@Test
	void isAllowedWhenNoRulesThenDenied() {
		assertThat(policy().isAllowed(caller("app", null, Set.of()), ServiceName.of("fraud"))).isFalse();
	}

	@Test
	void isAllowedWhenSubjectAndPatternMatchThenAllowedOnlyForMatchingServices() {
		AccessPolicy policy = policy(rule(null, List.of("system:serviceaccount:pay:scorer"), null, null, null,
				List.of("fraud-*", "churn")));
		Caller scorer = caller("system:serviceaccount:pay:scorer", null, Set.of());

		assertThat(policy.isAllowed(scorer, ServiceName.of("fraud-eu"))).isTrue();
		assertThat(policy.isAllowed(scorer, ServiceName.of("churn"))).isTrue();
		assertThat(policy.isAllowed(scorer, ServiceName.of("churn2"))).isFalse();
		assertThat(policy.isAllowed(scorer, ServiceName.of("afraud-eu"))).isFalse();
		assertThat(policy.isAllowed(caller("other", null, Set.of()), ServiceName.of("fraud-eu"))).isFalse();
	}

	@Test
	void isAllowedWhenSeveralSelectorsThenAllMustMatch() {
		AccessPolicy policy = policy(rule(ISSUER, null, List.of("client-a"), List.of("Scorer"), null, List.of("*")));

		assertThat(policy.isAllowed(caller("x", "client-a", Set.of("Scorer")), ServiceName.of("any"))).isTrue();
		assertThat(policy.isAllowed(caller("x", "client-a", Set.of("Reader")), ServiceName.of("any"))).isFalse();
		assertThat(policy.isAllowed(caller("x", "client-b", Set.of("Scorer")), ServiceName.of("any"))).isFalse();
		assertThat(policy.isAllowed(new Caller("https://other", "x", "client-a", Set.of("Scorer"), Set.of()),
				ServiceName.of("any"))).isFalse();
	}

	@Test
	void isAllowedWhenPatternHasRegexCharactersThenTheyAreLiteral() {
		AccessPolicy policy = policy(rule(null, List.of("app"), null, null, null, List.of("a.b")));

		assertThat(policy.isAllowed(caller("app", null, Set.of()), ServiceName.of("a.b"))).isTrue();
		assertThat(policy.isAllowed(caller("app", null, Set.of()), ServiceName.of("axb"))).isFalse();
	}

	@Test
	void constructorWhenRuleNamesNoCallerThenConfigurationError() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> policy(rule(null, null, null, null, null, List.of("*"))))
			.withMessageStartingWith("broker.access.rules[0]");
	}

	@Test
	void constructorWhenRuleHasNoServicesThenConfigurationError() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> policy(rule(null, List.of("app"), null, null, null, null)))
			.withMessageStartingWith("broker.access.rules[0].services");
	}

}
