package com.acme.tokenbroker.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code outcome} tag of {@code broker_fleet_lookups_total} is listed by hand in
 * {@code docs/operations.md} (the metrics table) and {@code docs/fleet.md} (Redis down is
 * not an outage); both had drifted once already ({@code peer_failed} was counted and
 * listed in neither). The outcomes are read from the {@code count("…")} calls of
 * {@code SharedTokenSource}, the only place that counts them, and compared with each page
 * both ways: every counted outcome is listed and every listed one is counted.
 */
class FleetLookupOutcomesDocTests {

	private static final Path SOURCE = Path.of("src/main/java/com/acme/tokenbroker/fleet/SharedTokenSource.java");

	private static final Pattern COUNT = Pattern.compile("\\bcount\\(\"([a-z_]+)\"\\)");

	/** The metrics table row, its second column the tags. */
	private static final Pattern OPERATIONS_ROW = Pattern.compile("^\\| `broker_fleet_lookups_total` \\|([^|]*)\\|",
			Pattern.MULTILINE);

	/** The fleet page's sentence, from the metric's name to the word "lookups". */
	private static final Pattern FLEET_SENTENCE = Pattern
		.compile("`broker_fleet_lookups_total\\{outcome}` counts (.*?) lookups\\.", Pattern.DOTALL);

	private static final Pattern CODE = Pattern.compile("`([a-z_]+)`");

	@Test
	void operationsMdListsEveryFleetLookupOutcomeAndNoOther() throws IOException {
		Matcher row = OPERATIONS_ROW.matcher(Files.readString(Path.of("docs/operations.md")));
		assertThat(row.find()).as("the broker_fleet_lookups_total row of docs/operations.md").isTrue();

		Set<String> listed = codeSpans(row.group(1));

		listed.remove("outcome");
		assertThat(listed).isEqualTo(countedOutcomes());
	}

	@Test
	void fleetMdListsEveryFleetLookupOutcomeAndNoOther() throws IOException {
		Matcher sentence = FLEET_SENTENCE.matcher(Files.readString(Path.of("docs/fleet.md")));
		assertThat(sentence.find()).as("the broker_fleet_lookups_total sentence of docs/fleet.md").isTrue();

		Set<String> listed = codeSpans(sentence.group(1));

		assertThat(listed).isEqualTo(countedOutcomes());
	}

	private static Set<String> countedOutcomes() throws IOException {
		Set<String> outcomes = new TreeSet<>();
		Matcher call = COUNT.matcher(Files.readString(SOURCE));
		while (call.find()) {
			outcomes.add(call.group(1));
		}
		assertThat(outcomes).as("count(\"…\") calls in " + SOURCE).isNotEmpty();
		return outcomes;
	}

	private static Set<String> codeSpans(String text) {
		Set<String> spans = new TreeSet<>();
		Matcher span = CODE.matcher(text);
		while (span.find()) {
			spans.add(span.group(1));
		}
		return spans;
	}

}
