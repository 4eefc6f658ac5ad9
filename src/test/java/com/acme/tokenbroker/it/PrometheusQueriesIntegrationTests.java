package com.acme.tokenbroker.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.Closeables;
import com.acme.tokenbroker.support.Http;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.RequiresPrometheus;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestPrometheus;
import com.acme.tokenbroker.support.TestWorkspaces;
import com.acme.tokenbroker.system.CircuitBreakers;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenCache;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's Grafana dashboard and alert rules against a real Prometheus server
 * ({@link TestPrometheus}, Debian's {@code prometheus} in {@code .ci/run}) scraping a
 * running broker every second, so a query that names a metric or label the broker does
 * not export, or that Prometheus cannot parse, fails the build instead of showing an
 * empty panel or an alert that can never fire.
 * <p>
 * The broker is first driven through everything the queries look at: callers' misses and
 * hits, a region's request budget spent ({@code rate_limited}), a background refresh that
 * succeeds (eastus) and one that fails (westeurope answering 503) until the region's
 * breaker opens and a caller is served a stale token. The scrape adds the
 * {@code namespace} and {@code pod} labels Kubernetes service discovery adds.
 * <p>
 * <b>Dashboard panels</b>: every target's {@code expr}, with Grafana's interval variables
 * and the dashboard's own variables replaced by concrete values (an unknown variable
 * fails the test), must be accepted by {@code /api/v1/query} and return at least one
 * series, and every label its {@code legendFormat} names must be on each series. The
 * {@code label_values} queries of the dashboard's variables must find the test's
 * namespace.
 * <p>
 * <b>Alert expressions</b> return nothing unless their alert fires, so "returns data" is
 * checked in three ways that each fail when a metric is renamed or a label is wrong:
 * <ol>
 * <li>every vector selector in the expression (a metric name with its label matchers,
 * found by a small PromQL scan that skips functions, keywords, grouping clauses, ranges
 * and offsets) must select series on its own; this catches a broken branch of an
 * {@code or} that the whole expression would hide;</li>
 * <li>the expression with {@code bool} added to each comparison (so {@code x > 0.25}
 * answers 0 or 1 for every series instead of filtering) must be accepted and return
 * series: this checks that the selectors still meet across {@code and}, {@code unless}
 * and the divisions, i.e. that the labels they are matched and grouped on exist on both
 * sides; and each label the alert's annotations read ({@code $labels.x}) must be on every
 * series it returns;</li>
 * <li>each label named in a {@code by (...)} clause must exist on the series of one of
 * the expression's selectors, so a misspelt grouping label does not silently collapse the
 * groups.</li>
 * </ol>
 * The breaker and stale-token alerts' expressions must moreover return series as they are
 * (the outage makes them true); their {@code for:} durations are not waited out.
 */
@SimulatedWorkspaceTest(properties = "broker.upstream.read-timeout=2s")
@RequiresPrometheus
class PrometheusQueriesIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	static final String NAMESPACE = "tb-metrics";

	static final String POD = "token-broker-0";

	static final Path DASHBOARD = Path.of("helm/token-broker/dashboards/token-broker.json");

	static final Path ALERTS = Path.of("helm/token-broker/files/alerts.yaml");

	/**
	 * How long Prometheus gets to scrape the driven broker twice, for rate() to answer.
	 */
	static final Duration SCRAPES = Duration.ofSeconds(60);

	/** Grafana's own variables, given the value a short test run can answer. */
	static final Map<String, String> GRAFANA_VARIABLES = Map.of("__rate_interval", "1m", "__interval", "1m", "__range",
			"5m");

	/** What the test gives each dashboard variable. */
	static final Map<String, String> DASHBOARD_VARIABLES = Map.of("namespace", NAMESPACE);

	private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "by", "without", "on", "ignoring",
			"group_left", "group_right", "offset", "inf", "nan");

	private static final Pattern GROUPING = Pattern
		.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");

	private static final Pattern SELECTOR = Pattern
		.compile("(?<![\\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*+)(\\s*+\\{[^}]*\\})?+(?!\\s*\\()");

	private static TestPrometheus prometheus;

	/** Whether the broker was driven through the outage, once for all tests. */
	private static Boolean driven;

	@LocalManagementPort
	int managementPort;

	@Autowired
	Http api;

	@Autowired
	TokenCache cache;

	@Autowired
	CircuitBreakers breakers;

	@AfterAll
	static void stopPrometheus() throws Exception {
		Closeables.closeAll(prometheus);
	}

	@BeforeEach
	void driveTheBrokerOnceUnderAPrometheus() throws IOException {
		if (driven == null) {
			driven = false;
			prometheus = TestPrometheus.scraping(this.managementPort, Map.of("namespace", NAMESPACE, "pod", POD));
			drive();
			driven = true;
		}
		assertThat(driven).as("the broker was driven through the outage (see the first test's failure)").isTrue();
	}

	private void drive() {
		String caller = CallerTokens.app(SIMULATOR);
		for (String service : List.of("v1-weu", "v2-weu", "v1-eus")) {
			assertThat(this.api.get("/tokens/" + service, caller).status()).as("miss " + service).isEqualTo(200);
			assertThat(this.api.get("/tokens/" + service, caller).status()).as("hit " + service).isEqualTo(200);
		}
		// northeurope's budget is 3 upstream calls an hour (TestWorkspaces): the rest are
		// held back
		for (int i = 1; i <= 6; i++) {
			this.api.get("/tokens/budget-" + i, caller);
		}

		SIMULATOR.faults("westeurope").set(Fault.error(503));
		CircuitBreaker westEurope = this.breakers.forRegion("westeurope");
		for (int round = 0; round < 8 && westEurope.getState() != CircuitBreaker.State.OPEN; round++) {
			CLOCK.advance(Duration.ofMinutes(110));
			runDueRefreshes();
		}
		assertThat(westEurope.getState()).as("westeurope's breaker").isEqualTo(CircuitBreaker.State.OPEN);
		assertThat(this.cache.current(ServiceName.of("v1-eus"))).as("eastus refreshed").isNotNull();
		Http.Response stale = this.api.get("/tokens/v2-weu", CallerTokens.app(SIMULATOR));
		assertThat(stale.status()).isEqualTo(200);
		assertThat(stale.json().get("stale").booleanValue()).as("served stale").isTrue();
	}

	private void runDueRefreshes() {
		for (CompletableFuture<BrokeredToken> refresh : this.cache.runDueRefreshes().values()) {
			try {
				refresh.get(10, TimeUnit.SECONDS);
			}
			catch (ExecutionException ex) {
				// westeurope's refreshes fail: that is the outage
			}
			catch (Exception ex) {
				throw new AssertionError("a refresh did not complete within 10 s", ex);
			}
		}
	}

	@Test
	void everyDashboardPanelQueryReturnsSeriesWithTheLabelsItsLegendShows() throws IOException {
		JsonNode dashboard = JsonMapper.shared().readTree(Files.readString(DASHBOARD));
		Map<String, JsonNode> targets = new LinkedHashMap<>();
		collectTargets(dashboard.path("panels"), targets);
		assertThat(targets).hasSizeGreaterThan(10);

		List<String> problems = untilNoProblems(() -> {
			List<String> found = new ArrayList<>();
			targets.forEach((name, target) -> {
				String expr = substitute(target.path("expr").asString());
				JsonNode answer = prometheus.query(expr);
				if (!"success".equals(answer.path("status").asString())) {
					found.add(name + ": " + answer.path("error").asString() + " in " + expr);
					return;
				}
				JsonNode result = answer.path("data").path("result");
				if (result.isEmpty()) {
					found.add(name + ": no data for " + expr);
					return;
				}
				Matcher legend = Pattern.compile("\\{\\{\\s*(\\w+)\\s*\\}\\}")
					.matcher(target.path("legendFormat").asString(""));
				while (legend.find()) {
					for (JsonNode series : result) {
						if (!series.path("metric").has(legend.group(1))) {
							found.add(name + ": legend label " + legend.group(1) + " missing on "
									+ series.path("metric") + " of " + expr);
							break;
						}
					}
				}
			});
			return found;
		});

		assertThat(problems).as("dashboard queries against Prometheus " + prometheus.version()).isEmpty();
	}

	@Test
	void theDashboardVariablesFindTheNamespace() throws IOException {
		JsonNode dashboard = JsonMapper.shared().readTree(Files.readString(DASHBOARD));
		Pattern labelValues = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");

		for (JsonNode variable : dashboard.path("templating").path("list")) {
			if (!"query".equals(variable.path("type").asString())) {
				continue;
			}
			Matcher query = labelValues.matcher(variable.path("query").asString());
			assertThat(query.matches()).as(variable.path("query").asString()).isTrue();
			assertThat(DASHBOARD_VARIABLES).containsKey(variable.path("name").asString());
			JsonNode series = prometheus.series(query.group(1));

			assertThat(series.path("status").asString()).as(query.group(1)).isEqualTo("success");
			assertThat(series.path("data").findValuesAsString(query.group(2))).as(query.group(0))
				.contains(DASHBOARD_VARIABLES.get(variable.path("name").asString()));
		}
	}

	@Test
	void everyAlertExpressionParsesAndItsSelectorsGroupingAndAnnotationLabelsHaveSeries() throws IOException {
		Map<String, Map<String, Object>> alerts = alerts();
		assertThat(alerts).hasSizeGreaterThanOrEqualTo(6);

		List<String> problems = untilNoProblems(() -> {
			List<String> found = new ArrayList<>();
			alerts.forEach((name, rule) -> found.addAll(alertProblems(name, rule)));
			return found;
		});

		assertThat(problems).as("alert expressions against Prometheus " + prometheus.version()).isEmpty();
	}

	@Test
	void upstreamLatencyIsAHistogramWithBucketsUpToTheCallTimeout() {
		List<String> problems = untilNoProblems(() -> {
			JsonNode result = prometheus.query("count by (le) (broker_upstream_calls_seconds_bucket)")
				.path("data")
				.path("result");
			List<String> bounds = new ArrayList<>();
			result.forEach((series) -> bounds.add(series.path("metric").path("le").asString()));
			List<String> expected = List.of("0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "15.0", "+Inf");
			return bounds.containsAll(expected) && bounds.size() == expected.size() ? List.of()
					: List.of("buckets " + bounds + ", expected " + expected);
		});

		assertThat(problems).isEmpty();
	}

	@Test
	void theBreakerAndStaleTokenAlertsFireDuringTheOutage() throws IOException {
		Map<String, Map<String, Object>> alerts = alerts();

		for (String alert : List.of("TokenBrokerCircuitBreakerOpen", "TokenBrokerServiceStale")) {
			String expr = (String) alerts.get(alert).get("expr");
			List<String> problems = untilNoProblems(() -> {
				JsonNode answer = prometheus.query(expr);
				return answer.path("data").path("result").isEmpty() ? List.of(alert + " is not firing: " + expr)
						: List.of();
			});
			assertThat(problems).isEmpty();
		}
	}

	private List<String> alertProblems(String name, Map<String, Object> rule) {
		List<String> found = new ArrayList<>();
		String expr = (String) rule.get("expr");
		Set<String> selectorLabels = new LinkedHashSet<>();
		for (String selector : selectors(expr)) {
			JsonNode answer = prometheus.query(selector);
			JsonNode result = answer.path("data").path("result");
			if (!"success".equals(answer.path("status").asString())) {
				found.add(name + ": selector " + selector + ": " + answer.path("error").asString());
			}
			else if (result.isEmpty()) {
				found.add(name + ": no series for selector " + selector);
			}
			result.forEach((series) -> selectorLabels.addAll(series.path("metric").propertyNames()));
		}
		Matcher grouping = GROUPING.matcher(expr);
		while (grouping.find()) {
			for (String label : labelList(grouping.group(2))) {
				if (!selectorLabels.contains(label)) {
					found.add(name + ": " + grouping.group(1) + " label " + label + " is on none of its series");
				}
			}
		}

		String everySeries = withBool(expr);
		JsonNode answer = prometheus.query(everySeries);
		if (!"success".equals(answer.path("status").asString())) {
			found.add(name + ": " + answer.path("error").asString() + " in " + everySeries);
			return found;
		}
		JsonNode result = answer.path("data").path("result");
		if (result.isEmpty()) {
			found.add(name + ": no series for " + everySeries);
		}
		Matcher annotationLabel = Pattern.compile("\\$labels\\.(\\w+)")
			.matcher(String.valueOf(rule.get("annotations")));
		while (annotationLabel.find()) {
			for (JsonNode series : result) {
				if (!series.path("metric").has(annotationLabel.group(1))) {
					found.add(name + ": annotation label " + annotationLabel.group(1) + " missing on "
							+ series.path("metric"));
					break;
				}
			}
		}
		return found;
	}

	/**
	 * The vector selectors of a PromQL expression: each metric name with its matchers,
	 * without functions, aggregations, keywords, grouping labels, ranges and offsets.
	 */
	static Set<String> selectors(String expr) {
		String scanned = GROUPING.matcher(expr).replaceAll(" ");
		scanned = scanned.replaceAll("\\[[^\\]]*\\]", " ").replaceAll("\\boffset\\s+\\S+", " ");
		Set<String> selectors = new LinkedHashSet<>();
		Matcher selector = SELECTOR.matcher(scanned);
		while (selector.find()) {
			if (!KEYWORDS.contains(selector.group(1).toLowerCase(Locale.ROOT))) {
				selectors.add(selector.group(1) + ((selector.group(2) != null) ? selector.group(2).strip() : ""));
			}
		}
		return selectors;
	}

	/**
	 * The expression with {@code bool} after each comparison outside label matchers, so
	 * it answers 0 or 1 for every series instead of only those that fire.
	 */
	static String withBool(String expr) {
		StringBuilder rewritten = new StringBuilder();
		int depth = 0;
		for (int i = 0; i < expr.length(); i++) {
			char c = expr.charAt(i);
			if (c == '{') {
				depth++;
			}
			else if (c == '}') {
				depth--;
			}
			String operator = null;
			if (depth == 0) {
				String two = expr.substring(i, Math.min(i + 2, expr.length()));
				if (List.of("==", "!=", ">=", "<=").contains(two)) {
					operator = two;
				}
				else if (c == '>' || c == '<') {
					operator = String.valueOf(c);
				}
			}
			if (operator == null) {
				rewritten.append(c);
				continue;
			}
			rewritten.append(operator);
			i += operator.length() - 1;
			if (!expr.substring(i + 1).stripLeading().startsWith("bool")) {
				rewritten.append(" bool");
			}
		}
		return rewritten.toString();
	}

	private static List<String> labelList(String labels) {
		List<String> names = new ArrayList<>();
		for (String label : labels.split(",")) {
			if (!label.isBlank()) {
				names.add(label.strip());
			}
		}
		return names;
	}

	private static String substitute(String expr) {
		Function<String, String> value = (name) -> {
			String known = GRAFANA_VARIABLES.getOrDefault(name, DASHBOARD_VARIABLES.get(name));
			assertThat(known).as("a value for the dashboard variable $" + name + " in " + expr).isNotNull();
			return known;
		};
		Matcher variable = Pattern.compile("\\$\\{(\\w+)\\}|\\$(\\w+)|\\[\\[(\\w+)\\]\\]").matcher(expr);
		StringBuilder substituted = new StringBuilder();
		while (variable.find()) {
			String name = (variable.group(1) != null) ? variable.group(1)
					: (variable.group(2) != null) ? variable.group(2) : variable.group(3);
			variable.appendReplacement(substituted, Matcher.quoteReplacement(value.apply(name)));
		}
		variable.appendTail(substituted);
		return substituted.toString();
	}

	private static void collectTargets(JsonNode panels, Map<String, JsonNode> targets) {
		for (JsonNode panel : panels) {
			for (JsonNode target : panel.path("targets")) {
				if (target.hasNonNull("expr")) {
					targets.put(panel.path("title").asString() + " [" + target.path("refId").asString() + "]", target);
				}
			}
			collectTargets(panel.path("panels"), targets);
		}
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Map<String, Object>> alerts() throws IOException {
		Map<String, Object> file = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(ALERTS));
		Map<String, Map<String, Object>> alerts = new LinkedHashMap<>();
		for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
			for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
				if (rule.containsKey("alert")) {
					alerts.put((String) rule.get("alert"), rule);
				}
			}
		}
		return alerts;
	}

	/**
	 * Ask again until nothing is wrong or {@link #SCRAPES} has passed: a series new in
	 * the last scrape has one sample, and {@code rate()} needs two.
	 */
	private static List<String> untilNoProblems(Supplier<List<String>> check) {
		long deadline = System.nanoTime() + SCRAPES.toNanos();
		List<String> problems = check.get();
		while (!problems.isEmpty() && System.nanoTime() < deadline) {
			TestPrometheus.pause();
			problems = check.get();
		}
		return problems;
	}

}
