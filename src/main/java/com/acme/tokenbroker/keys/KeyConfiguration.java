package com.acme.tokenbroker.keys;

import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.token.CredentialProperties;
import com.acme.tokenbroker.token.RefreshTick;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.upstream.ServiceKeysClient;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires key rotation: one worker thread (rotations are rare and sequential per service),
 * advanced by the refresher.
 */
@Configuration(proxyBeanMethods = false)
class KeyConfiguration {

	@Bean(destroyMethod = "shutdownNow")
	ExecutorService keyRotationExecutor() {
		return Executors.newSingleThreadExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "key-rotation");
			thread.setDaemon(true);
			return thread;
		});
	}

	@Bean
	KeySlots keySlots(CredentialProperties properties) {
		return new KeySlots(properties.servedKey());
	}

	@Bean
	KeyRotator keyRotator(ServiceCatalog catalog, ServiceKeysClient client, TokenCache cache, KeySlots slots,
			KeyRotationProperties properties, CredentialProperties credentials, ExecutorService keyRotationExecutor,
			ObjectProvider<KeySlotCoordination> coordination, Clock clock) {
		if (properties.grace().compareTo(credentials.keyRefresh()) <= 0) {
			throw new InvalidConfigurationException("broker.keys.rotation.grace",
					"must be longer than broker.credentials.key-refresh, or callers may still hold the retired key");
		}
		return new KeyRotator(catalog, client, cache, slots, properties, keyRotationExecutor, clock,
				coordination.getIfAvailable(() -> KeySlotCoordination.NONE));
	}

	@Bean
	RefreshTick keyRotationTick(KeyRotator rotator) {
		return RefreshTick.named("key-rotation", rotator::advance);
	}

}
