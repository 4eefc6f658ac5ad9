package com.acme.tokenbroker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class TokenBrokerApplication {

	public static void main(String[] args) {
		SpringApplication.run(TokenBrokerApplication.class, args);
	}

}
