package com.acme.tokenbroker.support;

import java.util.concurrent.atomic.AtomicLong;

import com.acme.tokenbroker.token.RefreshTick;

/**
 * Counts the ticks of the broker's refresher thread, for a test that waits for some:
 * {@code @Import(RefreshTicks.class)}, then autowire it.
 */
public class RefreshTicks implements RefreshTick {

	private final AtomicLong ticks = new AtomicLong();

	@Override
	public void onTick() {
		this.ticks.incrementAndGet();
	}

	/**
	 * @return the ticks so far
	 */
	public long count() {
		return this.ticks.get();
	}

}
