package com.acme.tokenbroker.token;

/**
 * Work that runs on every tick of the refresh scheduler, after due token refreshes start:
 * time-driven steps of other features (a key rotation's grace period) read the same clock
 * and need no scheduler of their own. Each runs on a thread of its own, one run at a time
 * ({@link TokenRefresher}), so one that hangs holds up no other.
 */
@FunctionalInterface
public interface RefreshTick {

	void onTick();

	/**
	 * @return a short name for its thread and log lines
	 */
	default String name() {
		return getClass().getSimpleName();
	}

	/**
	 * @param name a short name for its thread and log lines
	 * @param work what to run on each tick
	 * @return a tick of that name
	 */
	static RefreshTick named(String name, Runnable work) {
		return new RefreshTick() {

			@Override
			public void onTick() {
				work.run();
			}

			@Override
			public String name() {
				return name;
			}

		};
	}

}
