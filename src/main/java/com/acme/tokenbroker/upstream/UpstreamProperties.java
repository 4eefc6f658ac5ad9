package com.acme.tokenbroker.upstream;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Outbound HTTP settings of the model-management (v1) and ARM (v2) clients, bound from
 * {@code broker.upstream}; the connect timeout and the trusted bundle, which every
 * outbound client shares, are {@code system.OutboundProperties}, under the same prefix.
 *
 * @param readTimeout time to wait for the response once the request is sent
 * @param callTimeout the most one call may take from sending the request to reading the
 * last byte of the answer
 * @param maxResponseSize bodies larger than this are an upstream error, never parsed
 * @param operationPollInterval wait between polls of an asynchronous operation (key
 * regeneration) when the upstream gives no {@code Retry-After}
 * @param operationTimeout give up waiting for an asynchronous operation after this long
 */
@ConfigurationProperties("broker.upstream")
public record UpstreamProperties(@DefaultValue("10s") Duration readTimeout, @DefaultValue("15s") Duration callTimeout,
		@DefaultValue("64KB") DataSize maxResponseSize, @DefaultValue("5s") Duration operationPollInterval,
		@DefaultValue("10m") Duration operationTimeout) {

	public UpstreamProperties {
		if (readTimeout.isNegative() || readTimeout.isZero()) {
			throw new IllegalArgumentException("broker.upstream.read-timeout must be positive");
		}
		if (callTimeout.compareTo(readTimeout) < 0) {
			throw new IllegalArgumentException(
					"broker.upstream.call-timeout must not be shorter than broker.upstream.read-timeout");
		}
		if (maxResponseSize.toBytes() < 1024) {
			throw new IllegalArgumentException("broker.upstream.max-response-size must be at least 1KB");
		}
	}

}
