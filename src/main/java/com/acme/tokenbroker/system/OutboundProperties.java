package com.acme.tokenbroker.system;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What every outbound HTTPS client of the broker shares (Entra ID sign-in, model
 * management, ARM, the callers' key sets), bound from {@code broker.upstream}. The
 * settings only the Azure ML calls read are in {@code UpstreamProperties}, under the same
 * prefix.
 *
 * @param connectTimeout TCP and TLS connect timeout
 * @param sslBundle optional Spring Boot SSL bundle trusted for every outbound call
 * instead of the JVM default
 */
@ConfigurationProperties("broker.upstream")
public record OutboundProperties(@DefaultValue("3s") Duration connectTimeout, String sslBundle) {

	public OutboundProperties {
		if (connectTimeout.isNegative() || connectTimeout.isZero()) {
			throw new IllegalArgumentException("broker.upstream.connect-timeout must be positive");
		}
	}

}
