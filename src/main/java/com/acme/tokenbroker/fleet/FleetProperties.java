package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The optional shared second-level cache, bound from {@code broker.fleet}. The Redis
 * connection itself (address, password, TLS, timeouts) is Spring Boot's
 * {@code spring.data.redis.*}.
 *
 * @param enabled share tokens through Redis; off by default, so a sidecar alone stays
 * self-contained
 * @param keyPrefix prefix of every Redis key the broker writes; deployments that share a
 * Redis but not a catalog use different prefixes
 * @param lockLease how long one instance may hold a service's fetch lock; a crashed
 * holder is replaced after it. Must exceed the longest upstream fetch
 * ({@code broker.upstream.call-timeout} with the metadata read)
 * @param peerWait how long an instance that finds a peer fetching waits for the shared
 * result before it keeps serving its own token and tries again later
 * @param pollInterval how often a waiting instance looks for the shared result
 * @param sharedBudget whether every region's request budget
 * ({@code resilience4j.ratelimiter}) is counted for the whole fleet in Redis, on top of
 * each instance's own limiter
 * @param encryption the keys that seal values in Redis
 */
@ConfigurationProperties("broker.fleet")
public record FleetProperties(@DefaultValue("false") boolean enabled, @DefaultValue("token-broker") String keyPrefix,
		@DefaultValue("30s") Duration lockLease, @DefaultValue("3s") Duration peerWait,
		@DefaultValue("50ms") Duration pollInterval, @DefaultValue("true") boolean sharedBudget,
		@DefaultValue Encryption encryption) {

	/** AES-256 keys are 32 bytes. */
	static final int KEY_BYTES = 32;

	public FleetProperties {
		if (enabled) {
			if (keyPrefix == null || !keyPrefix.matches("[A-Za-z0-9._:-]{1,64}")) {
				throw new InvalidConfigurationException("broker.fleet.key-prefix",
						"must be 1 to 64 letters, digits or . _ : -");
			}
			requirePositive("broker.fleet.lock-lease", lockLease);
			requirePositive("broker.fleet.peer-wait", peerWait);
			requirePositive("broker.fleet.poll-interval", pollInterval);
			encryption.validate();
		}
	}

	private static void requirePositive(String property, Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new InvalidConfigurationException(property, "must be positive");
		}
	}

	/**
	 * The encryption keys, by id. Values in Redis name the key that sealed them, so a new
	 * key can become active while the old one still opens what it sealed; remove the old
	 * key once its values have expired (a token's lifetime).
	 *
	 * @param activeKey the id of the key that seals new values
	 * @param keys key id to base64-encoded 256-bit AES key; from a Kubernetes Secret,
	 * never from this file
	 */
	public record Encryption(String activeKey, Map<String, String> keys) {

		public Encryption {
			keys = (keys != null) ? Map.copyOf(keys) : Map.of();
		}

		void validate() {
			if (this.keys.isEmpty()) {
				throw new InvalidConfigurationException("broker.fleet.encryption.keys",
						"needs at least one key when broker.fleet.enabled is true: values in Redis are always encrypted");
			}
			if (this.activeKey == null || !this.keys.containsKey(this.activeKey)) {
				throw new InvalidConfigurationException("broker.fleet.encryption.active-key",
						"must name one of broker.fleet.encryption.keys");
			}
			this.keys.forEach((id, encoded) -> {
				if (!id.matches("[a-z0-9]{1,32}")) {
					throw new InvalidConfigurationException("broker.fleet.encryption.keys",
							"has a key id that is not 1 to 32 lower-case letters or digits (ids also come from environment "
									+ "variables, BROKER_FLEET_ENCRYPTION_KEYS_<ID>)");
				}
				byte[] key;
				try {
					key = Base64.getDecoder().decode(encoded.trim());
				}
				catch (IllegalArgumentException ex) {
					throw new InvalidConfigurationException("broker.fleet.encryption.keys." + id, "is not base64");
				}
				if (key.length != KEY_BYTES) {
					throw new InvalidConfigurationException("broker.fleet.encryption.keys." + id,
							"must decode to 32 bytes (AES-256), not " + key.length);
				}
			});
		}

		@Override
		public String toString() {
			return "Encryption[activeKey=" + this.activeKey + ", keys=" + this.keys.keySet() + "]";
		}

	}

}
