package com.acme.tokenbroker.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.annotation.AliasFor;
import org.springframework.test.context.ContextCustomizerFactories;

/**
 * The broker on a random port against a simulated workspace that the test class launches
 * itself, in a static {@link SimulatedWorkspace} field, with a static
 * {@link MutableClock} field for virtual time:
 *
 * <pre class="code">
 * &#64;SimulatedWorkspaceTest
 * class SomeIntegrationTests {
 *
 *     static final MutableClock CLOCK = MutableClock.startingNow();
 *
 *     static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);
 * </pre>
 *
 * The class keeps the say over its clock's start and its simulator's launch; the harness
 * ({@link SimulatedWorkspaceHarness}) points the broker at that simulator with
 * {@link TestWorkspaces#register}, makes the clock the broker's {@code @Primary} clock,
 * provides {@link Http} and {@link RawHttp} beans for the broker's port
 * ({@code @Autowired Http api}) and closes the simulator after the class's own
 * {@code @AfterAll} methods. Every class gets an application context of its own, as each
 * has its own simulator.
 * <p>
 * Precedence of properties: a class's {@code @DynamicPropertySource} methods (which may
 * read the simulator, e.g. its issuers) over {@link #properties()}, over the harness's
 * registration, over the application's own configuration.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextCustomizerFactories(SimulatedWorkspaceHarness.class)
@ExtendWith(SimulatedWorkspaceHarness.class)
public @interface SimulatedWorkspaceTest {

	/**
	 * Properties in {@code key=value} form, over the harness's registration.
	 * @return the properties
	 */
	@AliasFor(annotation = SpringBootTest.class)
	String[] properties() default {};

	/**
	 * Whether the broker gets {@link TestWorkspaces}' catalog. Off for a class that
	 * registers a catalog of its own with {@link TestWorkspaces#registerCatalog} in a
	 * {@code @DynamicPropertySource} method.
	 * @return whether to register the test catalog
	 */
	boolean testCatalog() default true;

	/**
	 * Whether every test starts with the broker's circuit breakers closed and ends with
	 * every fault of the simulator (regions, operations, Entra ID) cleared, for a class
	 * whose tests switch faults on.
	 * @return whether to reset breakers and faults around each test
	 */
	boolean resetFaults() default false;

}
