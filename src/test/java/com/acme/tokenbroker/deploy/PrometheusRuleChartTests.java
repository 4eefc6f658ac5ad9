package com.acme.tokenbroker.deploy;

import java.nio.file.Path;
import java.util.Map;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

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
		Manifests manifests = TokenBrokerChart.render("standalone-everything-on");

		JsonNode rule = manifests.one("PrometheusRule");
		assertThat(rule.path("apiVersion").asString()).isEqualTo("monitoring.coreos.com/v1");
		assertThat(rule.at("/metadata/name").asString()).isEqualTo("tb-token-broker");
		assertThat(rule.at("/metadata/labels/release").asString()).isEqualTo("kube-prometheus-stack");
		assertThat(rule.at("/metadata/labels/app.kubernetes.io~1name").asString()).isEqualTo("token-broker");
		assertThat(rule.at("/spec/groups")).isEqualTo(ruleFile().path("groups"));
		assertThat(rule.at("/spec/groups/0/rules").findValuesAsString("alert")).containsExactly(
				"TokenBrokerRunwayBelowMinimum", "TokenBrokerServiceStale", "TokenBrokerCircuitBreakerOpen",
				"TokenBrokerUpstreamErrors", "TokenBrokerBudgetExhausted", "TokenBrokerRefreshFailing");
	}

	@Test
	void everySidecarModeAndNodeModeRenderTheSameRules() {
		JsonNode groups = ruleFile().path("groups");
		for (String scenario : new String[] { "sidecar-workload-identity", "node-workload-identity" }) {
			JsonNode rule = TokenBrokerChart.render(scenario, Map.of("metrics.prometheusRule.enabled", true))
				.one("PrometheusRule");
			assertThat(rule.at("/spec/groups")).as(scenario).isEqualTo(groups);
		}
	}

	@Test
	void theThresholdsAndForsAreChartValues() {
		JsonNode rules = TokenBrokerChart
			.render("standalone-client-secret",
					Map.of("metrics.prometheusRule.enabled", true, "metrics.prometheusRule.minRunwaySeconds", 900,
							"metrics.prometheusRule.refreshIntervalSeconds", 600,
							"metrics.prometheusRule.upstreamErrorRatio", 0.5,
							"metrics.prometheusRule.for.TokenBrokerCircuitBreakerOpen", "10m"))
			.one("PrometheusRule")
			.at("/spec/groups/0/rules");

		assertThat(alert(rules, "TokenBrokerRunwayBelowMinimum").path("expr").asString())
			.isEqualTo("broker_token_runway_min_seconds < 900");
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
		String operations = java.nio.file.Files.readString(Path.of("docs/operations.md"));
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
