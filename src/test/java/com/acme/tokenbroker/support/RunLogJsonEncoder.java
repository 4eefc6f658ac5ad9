package com.acme.tokenbroker.support;

import org.springframework.boot.logging.logback.StructuredLogEncoder;
import org.springframework.core.env.Environment;
import org.springframework.mock.env.MockEnvironment;

/**
 * Spring Boot's structured log encoder for {@code logback-test.xml}'s JSON copy of the
 * run log: logback reads that file once before Spring Boot starts (and again for tests
 * without Spring), when there is no Spring Environment yet for the encoder's settings;
 * then it gets one with the ECS service name the broker's own configuration sets.
 */
public class RunLogJsonEncoder extends StructuredLogEncoder {

	@Override
	public void start() {
		if (getContext().getObject(Environment.class.getName()) == null) {
			getContext().putObject(Environment.class.getName(),
					new MockEnvironment().withProperty("logging.structured.ecs.service.name", "token-broker"));
		}
		super.start();
	}

}
