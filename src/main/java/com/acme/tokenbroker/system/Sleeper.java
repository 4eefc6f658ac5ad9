package com.acme.tokenbroker.system;

import java.time.Duration;

/**
 * Waits between polls of an asynchronous upstream operation. Injected so tests need not
 * sleep for real.
 */
@FunctionalInterface
public interface Sleeper {

	/** The real one. */
	Sleeper THREAD = (duration) -> Thread.sleep(duration.toMillis());

	void sleep(Duration duration) throws InterruptedException;

}
