package com.acme.tokenbroker.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The chart's PrometheusRule ships {@code files/alerts.yaml}, the rule file
 * {@code promtool check rules} and {@code promtool test rules} check in {@code .ci/run},
 * with only the configured thresholds and {@code for}s swapped in.
 */
class PrometheusRuleChartTests {

	static final Path ALERTS = TokenBrokerChart.CHART.resolve("files/alerts.yaml");

	@TempDir
	Path workDir;

	@Test
	void itIsOffByDefaultAndWithOnlyTheServiceMonitorOn() {
		assertThat(TokenBrokerChart.renderDefaults().kinds()).doesNotContain("PrometheusRule");
		assertThat(TokenBrokerChart.render("node-everything-on").kinds()).contains("ServiceMonitor")
			.doesNotContain("PrometheusRule");
	}

	@Test
	void whenEnabledItsGroupsAreTheRuleFileThatPromtoolTests() {
		// The value sets configure min-runway: 15m. With it unset (--set ...=null removes
		// it)
		// or set to the broker's default, the rules are the file's.
		Map<String, Map<String, Object>> scenarios = Map.of("node-workload-identity",
				Map.of("metrics.prometheusRule.enabled", true, "config.tokens.min-runway", "null"),
				"standalone-client-secret",
				Map.of("metrics.prometheusRule.enabled", true, "config.tokens.min-runway", "10m"),
				"sidecar-workload-identity",
				Map.of("metrics.prometheusRule.enabled", true, "config.tokens.min-runway", "10m"));
		for (String scenario : scenarios.keySet()) {
			JsonNode rule = TokenBrokerChart.render(scenario, scenarios.get(scenario)).one("PrometheusRule");
			assertThat(rule.path("apiVersion").asString()).isEqualTo("monitoring.coreos.com/v1");
			assertThat(rule.at("/metadata/name").asString()).isEqualTo("tb-token-broker");
			assertThat(rule.at("/metadata/labels/app.kubernetes.io~1name").asString()).isEqualTo("token-broker");
			assertThat(rule.at("/spec/groups")).as(scenario).isEqualTo(ruleFile().path("groups"));
		}
		assertThat(ruleFile().at("/groups/0/rules").findValuesAsString("alert")).containsExactly(
				"TokenBrokerRunwayBelowMinimum", "TokenBrokerServiceStale", "TokenBrokerCircuitBreakerOpen",
				"TokenBrokerUpstreamErrors", "TokenBrokerBudgetExhausted", "TokenBrokerRefreshFailing");
	}

	@Test
	void theRunwayThresholdIsTheBrokersMinRunwayUnlessSet() {
		Manifests manifests = TokenBrokerChart.render("standalone-everything-on");

		// That value set configures broker.tokens.min-runway: 15m.
		JsonNode rule = manifests.one("PrometheusRule");
		assertThat(rule.at("/metadata/labels/release").asString()).isEqualTo("kube-prometheus-stack");
		JsonNode rules = rule.at("/spec/groups/0/rules");
		JsonNode fileRules = ruleFile().at("/groups/0/rules");
		assertThat(alert(rules, "TokenBrokerRunwayBelowMinimum").path("expr").asString())
			.isEqualTo("broker_token_runway_min_seconds < 900");
		for (int i = 1; i < fileRules.size(); i++) {
			assertThat(rules.get(i)).isEqualTo(fileRules.get(i));
		}
		assertThat(runwayExpression(Map.of("config.tokens.min-runway", "2h")))
			.isEqualTo("broker_token_runway_min_seconds < 7200");
		assertThat(runwayExpression(
				Map.of("config.tokens.min-runway", "2h", "metrics.prometheusRule.minRunwaySeconds", 300)))
			.isEqualTo("broker_token_runway_min_seconds < 300");
		assertThatException().isThrownBy(() -> runwayExpression(Map.of("config.tokens.min-runway", "PT10M")))
			.withMessageContaining("set metrics.prometheusRule.minRunwaySeconds");
	}

	@Test
	void theThresholdsAndForsAreChartValues() {
		JsonNode rules = TokenBrokerChart
			.render("standalone-client-secret",
					Map.of("metrics.prometheusRule.enabled", true, "metrics.prometheusRule.minRunwaySeconds", 1200,
							"metrics.prometheusRule.refreshIntervalSeconds", 600,
							"metrics.prometheusRule.upstreamErrorRatio", 0.5,
							"metrics.prometheusRule.for.TokenBrokerCircuitBreakerOpen", "10m"))
			.one("PrometheusRule")
			.at("/spec/groups/0/rules");

		assertThat(alert(rules, "TokenBrokerRunwayBelowMinimum").path("expr").asString())
			.isEqualTo("broker_token_runway_min_seconds < 1200");
		assertThat(alert(rules, "TokenBrokerRefreshFailing").path("expr").asString()).contains("[1200s]")
			.doesNotContain("[600s]");
		assertThat(alert(rules, "TokenBrokerUpstreamErrors").path("expr").asString()).contains("> 0.5")
			.doesNotContain("0.25");
		assertThat(alert(rules, "TokenBrokerCircuitBreakerOpen").path("for").asString()).isEqualTo("10m");
		assertThat(alert(rules, "TokenBrokerServiceStale").path("for").asString()).isEqualTo("10m");
		assertThat(alert(rules, "TokenBrokerRunwayBelowMinimum").path("for").asString()).isEqualTo("5m");
	}

	@Test
	void everyAlertHasASeverityASummaryAndARunbookInOperationsMd() throws Exception {
		String operations = Files.readString(Path.of("docs/operations.md"));
		for (JsonNode rule : ruleFile().at("/groups/0/rules")) {
			String alert = rule.path("alert").asString();
			assertThat(rule.at("/labels/severity").asString()).as(alert).isIn("warning", "critical");
			assertThat(rule.at("/annotations/summary").asString()).as(alert).isNotBlank();
			assertThat(rule.at("/annotations/runbook").asString()).as(alert)
				.isEqualTo("docs/operations.md#" + alert.toLowerCase());
			assertThat(operations).as(alert).contains("### " + alert + "\n");
		}
	}

	@Test
	void lintStrictPassesWithTheRuleOn() {
		LintResult result = TokenBrokerChart.lint("standalone-everything-on", this.workDir);

		assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
	}

	private static String runwayExpression(Map<String, Object> sets) {
		Map<String, Object> all = new HashMap<>(sets);
		all.put("metrics.prometheusRule.enabled", true);
		JsonNode rules = TokenBrokerChart.render("standalone-client-secret", all)
			.one("PrometheusRule")
			.at("/spec/groups/0/rules");
		return alert(rules, "TokenBrokerRunwayBelowMinimum").path("expr").asString();
	}

	private static JsonNode ruleFile() {
		return JsonMapper.shared().valueToTree(TokenBrokerChart.load(ALERTS));
	}

	private static JsonNode alert(JsonNode rules, String name) {
		for (JsonNode rule : rules) {
			if (name.equals(rule.path("alert").asString())) {
				return rule;
			}
		}
		throw new AssertionError("No alert " + name + " in " + rules);
	}

}
