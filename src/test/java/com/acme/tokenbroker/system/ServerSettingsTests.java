package com.acme.tokenbroker.system;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.tomcat.autoconfigure.TomcatServerProperties;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11, item 12: the shipped server settings, bound as Spring Boot binds them. The
 * jar's own {@code application.yml} holds them, so they apply even without the operator
 * file, and the root file documents the same values.
 * {@code forward-headers-strategy: none}: Spring Boot would otherwise honour
 * {@code X-Forwarded-*} on Kubernetes (its cloud-platform default), from any pod, and the
 * full chain would then add HSTS where the fast path does not; the Tomcat timeouts keep a
 * slow client from holding a connection for Tomcat's 60 s default.
 */
class ServerSettingsTests {

	private static Binder binder(Resource yaml) throws IOException {
		MutablePropertySources sources = new MutablePropertySources();
		for (PropertySource<?> document : new YamlPropertySourceLoader().load(yaml.getFilename(), yaml)) {
			if (!document.containsProperty("spring.config.activate.on-profile")) {
				sources.addLast(document);
			}
		}
		return new Binder(ConfigurationPropertySources.from(sources));
	}

	@ParameterizedTest
	@ValueSource(strings = { "classpath", "root" })
	void serverSettingsWhenBoundThenNoForwardedHeadersAndShortConnectionTimeouts(String file) throws IOException {
		Binder binder = binder(file.equals("classpath") ? new ClassPathResource("application.yml")
				: new FileSystemResource("application.yml"));

		ServerProperties server = binder.bindOrCreate("server", ServerProperties.class);
		TomcatServerProperties tomcat = binder.bindOrCreate("server.tomcat", TomcatServerProperties.class);

		assertThat(server.getForwardHeadersStrategy()).isEqualTo(ServerProperties.ForwardHeadersStrategy.NONE);
		assertThat(tomcat.getConnectionTimeout()).isEqualTo(Duration.ofSeconds(5));
		assertThat(tomcat.getKeepAliveTimeout()).isEqualTo(Duration.ofSeconds(20));
	}

	/**
	 * Issue 15, item 9: requests in flight finish at shutdown, within the time the
	 * chart's preStop sleep and grace period leave them.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "classpath", "root" })
	void shutdownSettingsWhenBoundThenGracefulWithinTwentySeconds(String file) throws IOException {
		Binder binder = binder(file.equals("classpath") ? new ClassPathResource("application.yml")
				: new FileSystemResource("application.yml"));

		ServerProperties server = binder.bindOrCreate("server", ServerProperties.class);

		assertThat(server.getShutdown()).isEqualTo(Shutdown.GRACEFUL);
		assertThat(binder.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class).get())
			.isEqualTo(Duration.ofSeconds(20));
	}

}
