package com.acme.tokenbroker.fleet;

import java.time.Duration;
import java.util.Map;

import com.acme.tokenbroker.system.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fleet mode refuses to start without a usable encryption key, and says which property to
 * fix; off, it asks nothing.
 */
class FleetPropertiesTests {

	static final String KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

	private static FleetProperties fleet(boolean enabled, String active, Map<String, String> keys) {
		return new FleetProperties(enabled, "token-broker", Duration.ofSeconds(30), Duration.ofSeconds(3),
				Duration.ofMillis(50), true, new FleetProperties.Encryption(active, keys));
	}

	@Test
	void offByDefaultNeedsNoKey() {
		assertThat(fleet(false, null, null).enabled()).isFalse();
		FleetProperties defaults = new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("broker.fleet",
				FleetProperties.class);
		assertThat(defaults.enabled()).isFalse();
	}

	@Test
	void onItNeedsAnActiveKeyOf32BytesAmongTheKeys() {
		assertThat(fleet(true, "k1", Map.of("k1", KEY)).encryption().activeKey()).isEqualTo("k1");
		assertThatThrownBy(() -> fleet(true, null, Map.of())).isInstanceOf(InvalidConfigurationException.class)
			.hasMessageStartingWith("broker.fleet.encryption.keys");
		assertThatThrownBy(() -> fleet(true, "k2", Map.of("k1", KEY))).isInstanceOf(InvalidConfigurationException.class)
			.hasMessageStartingWith("broker.fleet.encryption.active-key");
		assertThatThrownBy(() -> fleet(true, "k1", Map.of("k1", "c2hvcnQ=")))
			.isInstanceOf(InvalidConfigurationException.class)
			.hasMessageContaining("32 bytes");
		assertThatThrownBy(() -> fleet(true, "k1", Map.of("k1", "not base64!")))
			.isInstanceOf(InvalidConfigurationException.class)
			.hasMessageContaining("not base64");
	}

	@Test
	void theKeysNeverShowInItsDescription() {
		assertThat(fleet(true, "k1", Map.of("k1", KEY)).toString()).doesNotContain(KEY).contains("k1");
	}

	@Test
	void durationsAndThePrefixAreChecked() {
		FleetProperties.Encryption encryption = new FleetProperties.Encryption("k1", Map.of("k1", KEY));
		assertThatThrownBy(() -> new FleetProperties(true, "has space", Duration.ofSeconds(30), Duration.ofSeconds(3),
				Duration.ofMillis(50), true, encryption))
			.hasMessageStartingWith("broker.fleet.key-prefix");
		assertThatThrownBy(() -> new FleetProperties(true, "p", Duration.ZERO, Duration.ofSeconds(3),
				Duration.ofMillis(50), true, encryption))
			.hasMessageStartingWith("broker.fleet.lock-lease");
	}

}
