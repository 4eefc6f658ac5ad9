package com.acme.tokenbroker.token;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The injecting proxy, {@code /services/{service}/**} on the API port, bound from
 * {@code broker.proxy} (docs/proxy.md). A request is forwarded to the service's scoring
 * URI with the served credential; its body streams through, buffered only up to
 * {@code replayBuffer} so that it can be sent once more after a refused credential is
 * replaced.
 *
 * @param enabled whether the proxy answers at all; off, its paths answer 404
 * @param maxBodySize the largest request body forwarded; a larger one is a 413
 * @param replayBuffer request bodies up to this size are held in memory and replayed once
 * after the scoring endpoint refused the credential (401 or 403); larger bodies stream
 * through and are not replayed
 * @param connectTimeout TCP and TLS connect timeout to the scoring endpoint
 * @param requestDeadline from sending the request until the scoring endpoint's status and
 * headers arrive; past it, a 504
 * @param readTimeout then, the longest wait for the next part of the answer's body; past
 * it, the answer is aborted (the status and headers are sent already)
 */
@ConfigurationProperties("broker.proxy")
record ProxyProperties(@DefaultValue("true") boolean enabled, @DefaultValue("100MB") DataSize maxBodySize,
		@DefaultValue("64KB") DataSize replayBuffer, @DefaultValue("3s") Duration connectTimeout,
		@DefaultValue("90s") Duration requestDeadline, @DefaultValue("30s") Duration readTimeout) {

	/** The largest replay buffer: it is one array per request. */
	static final DataSize MAX_REPLAY_BUFFER = DataSize.ofMegabytes(16);

	ProxyProperties {
		if (maxBodySize.toBytes() < 0 || replayBuffer.toBytes() < 0) {
			throw new IllegalArgumentException("broker.proxy.max-body-size and replay-buffer must not be negative");
		}
		if (replayBuffer.compareTo(MAX_REPLAY_BUFFER) > 0) {
			throw new IllegalArgumentException("broker.proxy.replay-buffer must be at most " + MAX_REPLAY_BUFFER);
		}
		if (connectTimeout.isNegative() || connectTimeout.isZero() || requestDeadline.isNegative()
				|| requestDeadline.isZero() || readTimeout.isNegative() || readTimeout.isZero()) {
			throw new IllegalArgumentException(
					"broker.proxy.connect-timeout, request-deadline and read-timeout must be positive");
		}
	}

}
