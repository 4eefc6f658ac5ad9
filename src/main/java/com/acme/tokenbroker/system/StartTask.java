package com.acme.tokenbroker.system;

/**
 * Work the broker does once as it starts, off the main thread, so that its first caller
 * does not wait for it: the trusted issuers' key sets, the broker's own sign-in. A task
 * that fails is logged and left to the first request that needs it, as if it had not run.
 * {@link StartTasks} runs them.
 */
public interface StartTask {

	/**
	 * What the task prepares, for the log.
	 * @return a description that holds no secret
	 */
	String description();

	/**
	 * Prepare. Bounded by the timeouts of the calls it makes.
	 * @throws Exception when the preparation failed; the first request that needs it
	 * tries again
	 */
	void run() throws Exception;

}
