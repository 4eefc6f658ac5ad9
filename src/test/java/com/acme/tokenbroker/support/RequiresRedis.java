package com.acme.tokenbroker.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Tests that need a real Redis server on loopback: {@code TOKEN_BROKER_TEST_REDIS_URL}
 * (default {@code redis://127.0.0.1:6379}). Where none answers they are skipped with a
 * message saying how to run them, unless {@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true}
 * (set by {@code .ci/run}, which starts one): then they fail.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRedis.Condition.class)
public @interface RequiresRedis {

	/** Skips or fails the test class, as above. */
	class Condition implements ExecutionCondition, BeforeAllCallback {

		@Override
		public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
			if (TestRedis.required() || TestRedis.reachable()) {
				return ConditionEvaluationResult.enabled("Redis at " + TestRedis.url());
			}
			return ConditionEvaluationResult.disabled("No Redis server answers at " + TestRedis.url()
					+ ": start one (e.g. redis-server --port 6379) or set TOKEN_BROKER_TEST_REDIS_URL; .ci/run does both");
		}

		@Override
		public void beforeAll(ExtensionContext context) {
			if (!TestRedis.reachable()) {
				throw new AssertionError(
						"TOKEN_BROKER_TEST_REDIS_REQUIRED is set but no Redis server answers at " + TestRedis.url());
			}
		}

	}

}
