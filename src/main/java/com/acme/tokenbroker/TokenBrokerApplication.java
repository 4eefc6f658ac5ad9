package com.acme.tokenbroker;

import com.acme.tokenbroker.system.OutboundProxy;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The broker. Spring Data's web support and repository metrics come with the Redis
 * starter (fleet mode) but serve no purpose here: the broker has no repositories and no
 * pageable endpoints, so they are left out.
 */
@SpringBootApplication(excludeName = { "org.springframework.boot.data.autoconfigure.web.DataWebAutoConfiguration",
		"org.springframework.boot.data.autoconfigure.metrics.DataRepositoryMetricsAutoConfiguration" })
@ConfigurationPropertiesScan
public class TokenBrokerApplication {

	public static void main(String[] args) {
		// before any JDK HTTP client loads: it reads this once (OutboundProxy)
		OutboundProxy.allowBasicForTunnels();
		SpringApplication.run(TokenBrokerApplication.class, args);
	}

}
