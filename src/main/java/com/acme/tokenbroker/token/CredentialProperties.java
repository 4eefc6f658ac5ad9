package com.acme.tokenbroker.token;

import java.time.Duration;

import com.acme.tokenbroker.upstream.KeySlot;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the broker learns a service's auth mode and serves keys, bound from
 * {@code broker.credentials}.
 *
 * @param metadataRefresh re-read each service's metadata (auth mode, scoring URI) at most
 * this old, so a redeployment that switches mode is followed
 * @param keyRefresh re-read a key-auth service's keys this often: keys do not expire but
 * can be rotated outside the broker; callers see it as {@code refreshBy}
 * @param keyMaxAge serve a key read this long ago at most while its service cannot be
 * reached
 * @param servedKey the key served by default
 */
@ConfigurationProperties("broker.credentials")
public record CredentialProperties(@DefaultValue("10m") Duration metadataRefresh,
		@DefaultValue("5m") Duration keyRefresh, @DefaultValue("24h") Duration keyMaxAge,
		@DefaultValue("primary") KeySlot servedKey) {

	public CredentialProperties {
		if (keyMaxAge.compareTo(keyRefresh.multipliedBy(2)) < 0) {
			throw new IllegalArgumentException("broker.credentials.key-max-age must be at least twice key-refresh");
		}
	}

}
