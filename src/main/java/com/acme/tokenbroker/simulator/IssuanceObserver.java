package com.acme.tokenbroker.simulator;

/**
 * Callback told about every secret value the {@link SimulatedWorkspace} creates or hands
 * out: client secrets (registered or generated), Entra access tokens, service tokens,
 * caller tokens and service-account tokens.
 * <p>
 * Tests use it to prove that none of these values ever reaches a log, a problem detail or
 * a metric. Implementations must be thread-safe and fast: they are called on the
 * simulator's request threads, before the response is written.
 *
 * @see SimulatedWorkspaceBuilder#observer(IssuanceObserver)
 */
@FunctionalInterface
public interface IssuanceObserver {

	/**
	 * Called with a secret value the simulator has just created or issued.
	 * @param secret the secret value, never {@code null}
	 */
	void issued(String secret);

}
