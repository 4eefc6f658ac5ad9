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
 * Tests that drop packets in the kernel with an {@link NftBlackhole}: they need the
 * {@code nft} binary and CAP_NET_ADMIN (root). Where nftables cannot be used they are
 * skipped with the reason, unless {@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true} (set by
 * {@code .ci/run}, which runs as root and installs nftables): then they fail, as
 * {@link RequiresRedis} tests do without Redis.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresNftables.Condition.class)
public @interface RequiresNftables {

	/** Skips or fails the test class, as above. */
	class Condition implements ExecutionCondition, BeforeAllCallback {

		@Override
		public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
			String unusable = NftBlackhole.unusableBecause();
			if (TestRedis.required() || unusable == null) {
				return ConditionEvaluationResult.enabled("nftables usable");
			}
			return ConditionEvaluationResult.disabled(reason(unusable));
		}

		@Override
		public void beforeAll(ExtensionContext context) {
			String unusable = NftBlackhole.unusableBecause();
			if (unusable != null) {
				throw new AssertionError("TOKEN_BROKER_TEST_REDIS_REQUIRED is set but " + reason(unusable));
			}
		}

		private static String reason(String unusable) {
			return "A kernel blackhole needs nftables: " + unusable
					+ " (run as root with CAP_NET_ADMIN, apt-get install -y nftables; .ci/run does)";
		}

	}

}
