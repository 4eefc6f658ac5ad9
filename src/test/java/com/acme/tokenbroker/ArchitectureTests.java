package com.acme.tokenbroker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.properties.HasName;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Configuration;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layout the build enforces (issue 13, items 1 and 2): the feature packages form no
 * cycle, time is read only from what is injected, the broker's own code never reaches
 * into the simulator, and {@code docs/modules.md} shows the packages' real dependencies.
 * Each rule is checked against the main classes as compiled.
 */
class ArchitectureTests {

	static final String BASE = "com.acme.tokenbroker";

	/**
	 * The main classes, without what Spring AOT generated beside them once the jar has
	 * been packaged ({@code Foo__BeanDefinitions} and the like, which wire every package
	 * to every other).
	 */
	static final JavaClasses MAIN = new ClassFileImporter()
		.withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
		.withImportOption((location) -> !location.contains("__"))
		.importPackages(BASE);

	static final Path DIAGRAM = Path.of("docs/modules.md");

	@Test
	void theFeaturePackagesFormNoCycle() {
		slices().matching(BASE + ".(*)..").should().beFreeOfCycles().check(MAIN);
	}

	/**
	 * Refresh, expiry and deadline decisions read the injected {@link Clock} (virtual
	 * time in tests) and durations the meter registry's clock; only the simulated
	 * workspace, which plays a remote service, and the one {@code Clock} bean read the
	 * system's time.
	 */
	@Test
	void timeIsReadOnlyFromAnInjectedClock() {
		DescribedPredicate<JavaCall<?>> wallClock = target(
				owner(HasName.Predicates.nameMatching("java\\.lang\\.System")))
			.and(target(HasName.Predicates.nameMatching("nanoTime|currentTimeMillis")))
			.or(target(owner(HasName.Predicates.nameMatching(Pattern.quote(Instant.class.getName()) + "|"
					+ Pattern.quote(LocalDate.class.getName()) + "|" + Pattern.quote(LocalDateTime.class.getName())
					+ "|" + Pattern.quote(OffsetDateTime.class.getName()) + "|"
					+ Pattern.quote(ZonedDateTime.class.getName()))))
				.and(target(HasName.Predicates.name("now"))))
			.as("read the system's time");
		ArchRule rule = noClasses().that()
			.resideOutsideOfPackage(BASE + ".simulator..")
			.should()
			.callMethodWhere(wallClock)
			.because("time is injected: tests drive a virtual Clock instead of sleeping");
		rule.check(MAIN);
	}

	@Test
	void theBrokerNeverDependsOnTheSimulator() {
		noClasses().that()
			.resideOutsideOfPackage(BASE + ".simulator..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage(BASE + ".simulator..")
			.because("the simulated workspace is a development and test fixture the broker must run without")
			.check(MAIN);
	}

	@Test
	void configurationClassesAreEachPackagesOwn() {
		classes().that()
			.areAnnotatedWith(Configuration.class)
			.should()
			.notBePublic()
			.because("a package's wiring is its own; other packages use its beans, not its configuration")
			.check(MAIN);
	}

	@Test
	void theModuleDiagramShowsTheRealDependencies() throws IOException {
		String expected = diagram(MAIN);
		String document = Files.readString(DIAGRAM);
		Matcher block = Pattern.compile("```mermaid\\n(.*?)```", Pattern.DOTALL).matcher(document);
		assertThat(block.find()).as(DIAGRAM + " has a mermaid block").isTrue();
		assertThat(block.group(1)).as("the diagram in " + DIAGRAM + "; replace it with the expected one")
			.isEqualTo(expected);
	}

	/** A mermaid graph of which feature package uses which, from the compiled classes. */
	static String diagram(JavaClasses classes) {
		Set<String> edges = new TreeSet<>();
		Set<String> packages = new TreeSet<>();
		for (JavaClass origin : classes) {
			String from = feature(origin);
			if (from == null) {
				continue;
			}
			packages.add(from);
			origin.getDirectDependenciesFromSelf().forEach((dependency) -> {
				String to = feature(dependency.getTargetClass());
				if (to != null && !to.equals(from)) {
					edges.add("    " + from + " --> " + to + "\n");
				}
			});
		}
		StringBuilder graph = new StringBuilder("graph TD\n");
		packages.forEach((name) -> graph.append("    ").append(name).append('\n'));
		edges.forEach(graph::append);
		return graph.toString();
	}

	private static String feature(JavaClass type) {
		String name = type.getPackageName();
		if (!name.startsWith(BASE + ".")) {
			return null;
		}
		String rest = name.substring(BASE.length() + 1);
		int dot = rest.indexOf('.');
		return (dot < 0) ? rest : rest.substring(0, dot);
	}

}
