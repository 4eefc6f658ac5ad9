package com.acme.tokenbroker.bench;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A plain Spring Boot application with the broker's starters and none of its beans: the
 * benchmark's yardstick for start-up time ({@code bench/run}).
 */
@SpringBootApplication
public class PlainBootApplication {

	public static void main(String[] args) {
		SpringApplication.run(PlainBootApplication.class, args);
	}

}
