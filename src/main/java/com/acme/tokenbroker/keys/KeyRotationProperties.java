package com.acme.tokenbroker.keys;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Key rotation, bound from {@code broker.keys.rotation}.
 *
 * @param grace how long the retired key stays valid after the broker switched to the new
 * one, so callers that fetched it refetch first (their {@code refreshBy} is at most
 * {@code broker.credentials.key-refresh} away); must exceed that
 * @param interval rotate every key-auth service this often; {@code 0} (the default) never
 * rotates on a schedule
 * @param timeout the longest a rotation's reload of the new key may take
 */
@ConfigurationProperties("broker.keys.rotation")
record KeyRotationProperties(@DefaultValue("15m") Duration grace, @DefaultValue("0") Duration interval,
		@DefaultValue("30s") Duration timeout) {
}
