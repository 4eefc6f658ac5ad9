package com.acme.tokenbroker.upstream;

/**
 * Marks the upstream calls made for a caller who is waiting (a cold miss on the request
 * path). Such a call never takes a circuit breaker's probe: while a region's breaker is
 * open or half-open it is refused at once, and the probe stays with the background
 * refresher, so a caller gets its 503 in milliseconds instead of waiting out a connect
 * timeout to a region that is down. The mark is a thread-local set for the duration of
 * one fetch, on the fetch executor's thread.
 */
public final class CallerWaiting {

	private static final ThreadLocal<Boolean> WAITING = new ThreadLocal<>();

	private CallerWaiting() {
	}

	/**
	 * Run a fetch on behalf of a waiting caller.
	 * @param fetch the fetch
	 */
	public static void run(Runnable fetch) {
		WAITING.set(Boolean.TRUE);
		try {
			fetch.run();
		}
		finally {
			WAITING.remove();
		}
	}

	/**
	 * @return whether the current thread fetches for a waiting caller
	 */
	static boolean isWaiting() {
		return WAITING.get() != null;
	}

}
