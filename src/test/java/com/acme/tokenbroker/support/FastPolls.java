package com.acme.tokenbroker.support;

import java.time.Duration;

import com.acme.tokenbroker.system.Sleeper;

/**
 * The broker's {@link Sleeper} for a test that regenerates keys:
 * {@code @Import(FastPolls.class)}. The upstream asks to wait 10 s between polls of a
 * regeneration; the test need not.
 */
public class FastPolls implements Sleeper {

	@Override
	public void sleep(Duration duration) throws InterruptedException {
		Thread.sleep(5);
	}

}
