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

	/**
	 * A task from its description and its work.
	 * @param description what it prepares, holding no secret
	 * @param work the work
	 * @return the task
	 */
	static StartTask of(String description, Work work) {
		return new StartTask() {

			@Override
			public String description() {
				return description;
			}

			@Override
			public void run() throws Exception {
				work.run();
			}

		};
	}

	/** The work of a task made with {@link #of}. */
	@FunctionalInterface
	interface Work {

		/**
		 * Prepare.
		 * @throws Exception when the preparation failed
		 */
		void run() throws Exception;

	}

}
