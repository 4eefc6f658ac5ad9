package com.acme.tokenbroker.security;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class AccessPolicyTests {

	private static final String ISSUER = "https://issuer.example/tenant/v2.0";

	private static AccessProperties.Rule rule(String issuer, List<String> subjects, List<String> clientIds,
			List<String> roles, List<String> groups, List<String> services) {
		return new AccessProperties.Rule("r", issuer, subjects, clientIds, roles, groups, services);
	}

	private static final String CLUSTER = "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/";

	private static AccessProperties.Issuer issuer(String uri) {
		return new AccessProperties.Issuer(uri, URI.create(uri + "keys"), List.of("token-broker"));
	}

	private static AccessPolicy policy(AccessProperties.Rule... rules) {
		return new AccessPolicy(new AccessProperties(List.of(issuer(ISSUER)), List.of(rules), Duration.ofSeconds(60)));
	}

	/** Entra ({@link #ISSUER}) and an AKS cluster ({@link #CLUSTER}) both trusted. */
	private static AccessPolicy twoIssuers(List<AccessProperties.Rule> rules, List<AccessProperties.Rule> adminRules) {
		return new AccessPolicy(new AccessProperties(List.of(issuer(ISSUER), issuer(CLUSTER)), rules,
				Duration.ofSeconds(60), adminRules));
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
		AccessPolicy policy = policy(
				rule(null, List.of("system:serviceaccount:pay:scorer"), null, null, null, List.of("fraud-*", "churn")));
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
				ServiceName.of("any")))
			.isFalse();
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

	// issue 11, item 4: rules bound to their issuer

	@Test
	void isAllowedWhenTwoIssuersThenASubjectFromTheOtherIssuerIsDenied() {
		AccessPolicy policy = twoIssuers(List.of(new AccessProperties.Rule("scorer", CLUSTER,
				List.of("system:serviceaccount:pay:scorer"), null, null, null, List.of("fraud"))), List.of());

		assertThat(policy.isAllowed(new Caller(CLUSTER, "system:serviceaccount:pay:scorer", null, Set.of(), Set.of()),
				ServiceName.of("fraud")))
			.isTrue();
		assertThat(policy.isAllowed(new Caller(ISSUER, "system:serviceaccount:pay:scorer", null, Set.of(), Set.of()),
				ServiceName.of("fraud")))
			.as("the same sub from Entra")
			.isFalse();
	}

	@Test
	void isAdminWhenTwoIssuersThenARoleFromTheOtherIssuerIsDenied() {
		AccessPolicy policy = twoIssuers(List.of(), List.of(new AccessProperties.Rule("ops", ISSUER, null, null,
				List.of("TokenBroker.Admin"), null, List.of("*"))));

		assertThat(policy.isAdmin(new Caller(ISSUER, "x", "ops-app", Set.of("TokenBroker.Admin"), Set.of()),
				ServiceName.of("fraud")))
			.isTrue();
		assertThat(policy.isAdmin(new Caller(CLUSTER, "x", "ops-app", Set.of("TokenBroker.Admin"), Set.of()),
				ServiceName.of("fraud")))
			.as("the same role claim from the cluster")
			.isFalse();
	}

	@Test
	void constructorWhenTwoIssuersAndARuleWithoutIssuerThenConfigurationErrorNamingTheRule() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> twoIssuers(
					List.of(new AccessProperties.Rule("ok", ISSUER, List.of("a"), null, null, null, List.of("*")),
							new AccessProperties.Rule("r", null, List.of("a"), null, null, null, List.of("*"))),
					List.of()))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.access.rules[1].issuer"));
	}

	@Test
	void constructorWhenTwoIssuersAndAnAdminRuleWithoutIssuerThenConfigurationErrorNamingTheRule() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> twoIssuers(List.of(),
					List.of(new AccessProperties.Rule("ops", null, null, null, List.of("TokenBroker.Admin"), null,
							List.of("*")))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.access.admin-rules[0].issuer"));
	}

	@Test
	void constructorWhenRuleIssuerIsNotTrustedThenConfigurationError() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> policy(rule("https://elsewhere.example/", List.of("a"), null, null, null, List.of("*"))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.access.rules[0].issuer"))
			.withMessageContaining("broker.access.issuers");
	}

	@Test
	void constructorWhenRuleNamesOnlyAnIssuerThenAllowAnySubjectIsRequired() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> policy(rule(ISSUER, null, null, null, null, List.of("*"))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.access.rules[0].allow-any-subject"));

		AccessPolicy whole = policy(
				new AccessProperties.Rule("tenant", ISSUER, null, null, null, null, List.of("fraud"), true));
		assertThat(whole.isAllowed(caller("anyone", null, Set.of()), ServiceName.of("fraud"))).isTrue();
		assertThat(whole.isAllowed(new Caller(CLUSTER, "anyone", null, Set.of(), Set.of()), ServiceName.of("fraud")))
			.isFalse();
	}

	@Test
	void constructorWhenAllowAnySubjectWithoutIssuerThenConfigurationError() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(
					() -> policy(new AccessProperties.Rule("all", null, null, null, null, null, List.of("*"), true)))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("broker.access.rules[0].issuer"));
	}

	@Test
	void constructorWhenOneIssuerThenRulesMayOmitIt() {
		AccessPolicy policy = policy(rule(null, List.of("app"), null, null, null, List.of("*")));

		assertThat(policy.isAllowed(caller("app", null, Set.of()), ServiceName.of("fraud"))).isTrue();
	}

	// issue 11, item 5: a caller without a claim a rule looks at is not granted by that
	// rule, never a failure

	@ParameterizedTest
	@ValueSource(strings = { "sub", "azp", "roles", "groups", "sub,azp,roles,groups" })
	void isAllowedWhenCallerLacksClaimsThenRulesOnThemDoNotMatchAndLaterRulesStillDo(String missing) {
		Set<String> absent = new HashSet<>(Arrays.asList(missing.split(",")));
		List<AccessProperties.Rule> rules = new ArrayList<>();
		rules.add(rule(ISSUER, null, List.of("client-a"), null, null, List.of("fraud")));
		rules.add(rule(ISSUER, List.of("app"), null, null, null, List.of("fraud")));
		rules.add(rule(ISSUER, null, null, List.of("Scorer"), null, List.of("fraud")));
		rules.add(rule(ISSUER, null, null, null, List.of("group-1"), List.of("fraud")));
		rules.add(new AccessProperties.Rule("tenant", ISSUER, null, null, null, null, List.of("churn"), true));
		AccessPolicy policy = new AccessPolicy(
				new AccessProperties(List.of(issuer(ISSUER)), rules, Duration.ofSeconds(60), rules));
		Caller caller = new Caller(ISSUER, absent.contains("sub") ? null : "stranger",
				absent.contains("azp") ? null : "client-b", absent.contains("roles") ? Set.of() : Set.of("Reader"),
				absent.contains("groups") ? Set.of() : Set.of("group-2"));

		assertThat(policy.isAllowed(caller, ServiceName.of("fraud"))).isFalse();
		assertThat(policy.isAdmin(caller, ServiceName.of("fraud"))).isFalse();
		assertThat(policy.isAllowed(caller, ServiceName.of("churn"))).as("a later rule still grants").isTrue();
		assertThat(policy.isAdmin(caller, ServiceName.of("churn"))).isTrue();
	}

}
