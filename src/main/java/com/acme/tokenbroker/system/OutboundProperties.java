package com.acme.tokenbroker.system;

import java.net.URI;
import java.time.Duration;
import java.util.List;

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
 * @param proxy the forward proxy for every outbound call ({@link OutboundProxy})
 */
@ConfigurationProperties("broker.upstream")
public record OutboundProperties(@DefaultValue("3s") Duration connectTimeout, String sslBundle,
		@DefaultValue Proxy proxy) {

	public OutboundProperties {
		if (connectTimeout.isNegative() || connectTimeout.isZero()) {
			throw new IllegalArgumentException("broker.upstream.connect-timeout must be positive");
		}
	}

	/**
	 * An HTTP forward proxy (HTTPS is tunnelled with CONNECT). Each setting left empty
	 * falls back to the environment as curl reads it: {@code url} to
	 * {@code https_proxy}/{@code HTTPS_PROXY} (whose {@code user:password@} also gives
	 * the credentials), {@code nonProxyHosts} to {@code no_proxy}/{@code NO_PROXY}.
	 *
	 * @param url {@code http://host:port} of the proxy
	 * @param username user for the proxy's Basic authentication
	 * @param password its password; prefer {@code BROKER_UPSTREAM_PROXY_PASSWORD} from a
	 * Secret. Never printed
	 * @param nonProxyHosts hosts reached directly: names (each also covers its
	 * subdomains; a leading dot is allowed), IP addresses, CIDR ranges, or {@code *}
	 */
	public record Proxy(URI url, String username, String password, List<String> nonProxyHosts) {

		public Proxy {
			nonProxyHosts = (nonProxyHosts != null) ? List.copyOf(nonProxyHosts) : List.of();
		}

		@Override
		public String toString() {
			return "Proxy[url=" + OutboundProxy.withoutUserInfo(this.url) + ", username=" + this.username
					+ ", password=" + ((this.password != null) ? "******" : null) + ", nonProxyHosts="
					+ this.nonProxyHosts + "]";
		}

	}

}
