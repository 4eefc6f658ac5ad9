/**
 * The Spring Boot glue of the simulated workspace: the {@code broker.simulator}
 * properties, the environment post-processor that starts the simulator before the context
 * binds its configuration and points the broker at it, the bean that follows the
 * application's clock, and the {@code /simulator/**} endpoints.
 * <p>
 * The simulator itself ({@link com.acme.tokenbroker.simulator}) stays plain Java;
 * everything Spring-specific lives here.
 */
package com.acme.tokenbroker.simulator.boot;
