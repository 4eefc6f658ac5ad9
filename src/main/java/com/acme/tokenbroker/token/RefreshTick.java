package com.acme.tokenbroker.token;

/**
 * Work that runs on every tick of the refresh scheduler, after due token refreshes start:
 * time-driven steps of other features (a key rotation's grace period) read the same clock
 * and need no scheduler of their own.
 */
@FunctionalInterface
public interface RefreshTick {

	void onTick();

}
