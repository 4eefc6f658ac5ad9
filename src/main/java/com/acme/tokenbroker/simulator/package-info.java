/**
 * An embedded, in-process simulation of Microsoft Entra ID and the Azure Machine Learning
 * token endpoints, serving HTTPS on 127.0.0.1: the default upstream for a new user
 * without an Azure account and the upstream of the broker's integration tests.
 * <p>
 * Entry point: {@link com.acme.tokenbroker.simulator.SimulatedWorkspace}. Run-time
 * misbehaviour: {@link com.acme.tokenbroker.simulator.FaultSwitch} and
 * {@link com.acme.tokenbroker.simulator.Fault}. Secrets it creates or issues are reported
 * to an {@link com.acme.tokenbroker.simulator.IssuanceObserver} and never logged.
 * <p>
 * Services have an {@link com.acme.tokenbroker.simulator.AuthMode} (switchable at run
 * time), two {@link com.acme.tokenbroker.simulator.Keys}, asynchronous key regeneration
 * and a scoring endpoint that accepts only the current mode's credential.
 * <p>
 * Plain Java: no Spring types; the Spring Boot wiring is in
 * {@link com.acme.tokenbroker.simulator.boot}. Upstream wire formats follow
 * {@code reference/azure-ml-auth.md} (§2 Entra, §3 MMS v1, §4 ARM v2, §7 checklist).
 */
package com.acme.tokenbroker.simulator;
