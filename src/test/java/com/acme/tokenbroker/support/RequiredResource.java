package com.acme.tokenbroker.support;

import java.util.function.Supplier;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit condition behind {@link RequiresRedis}, {@link RequiresNftables} and
 * {@link RequiresTinyproxy}: a test class whose resource cannot be used is skipped with
 * the reason and how to provide it, unless its variable is {@code true}
 * ({@code TOKEN_BROKER_TEST_REDIS_REQUIRED} for the first two,
 * {@code TOKEN_BROKER_TEST_TINYPROXY_REQUIRED} for tinyproxy; {@code .ci/run} provides
 * all three and sets both): then it fails.
 */
public abstract class RequiredResource implements ExecutionCondition, BeforeAllCallback {

	private final String name;

	private final Supplier<String> unusableBecause;

	private final String hint;

	private final String requiredVariable;

	/**
	 * @param name what the tests need, for the messages
	 * @param unusableBecause why it cannot be used now, or {@code null} where it can
	 * @param hint how to provide it
	 */
	RequiredResource(String name, Supplier<String> unusableBecause, String hint) {
		this(name, unusableBecause, hint, "TOKEN_BROKER_TEST_REDIS_REQUIRED");
	}

	/**
	 * @param name what the tests need, for the messages
	 * @param unusableBecause why it cannot be used now, or {@code null} where it can
	 * @param hint how to provide it
	 * @param requiredVariable the environment variable that, {@code true}, turns a skip
	 * into a failure
	 */
	RequiredResource(String name, Supplier<String> unusableBecause, String hint, String requiredVariable) {
		this.name = name;
		this.unusableBecause = unusableBecause;
		this.hint = hint;
		this.requiredVariable = requiredVariable;
	}

	private boolean required() {
		return "true".equalsIgnoreCase(System.getenv(this.requiredVariable));
	}

	@Override
	public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
		String unusable = this.unusableBecause.get();
		if (required() || unusable == null) {
			return ConditionEvaluationResult.enabled(this.name + " usable");
		}
		return ConditionEvaluationResult.disabled(this.name + " not usable: " + unusable + " (" + this.hint + ")");
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		String unusable = this.unusableBecause.get();
		if (unusable != null) {
			throw new AssertionError(this.requiredVariable + " is set but " + unusable);
		}
	}

	/** Skips or fails where no Redis server answers at {@link TestRedis#url()}. */
	public static final class Redis extends RequiredResource {

		public Redis() {
			super("Redis", () -> TestRedis.reachable() ? null : "no Redis server answers at " + TestRedis.url(),
					"start one, e.g. redis-server --port 6379, or set TOKEN_BROKER_TEST_REDIS_URL; .ci/run does both");
		}

	}

	/** Skips or fails where {@link NftBlackhole} cannot drop packets. */
	public static final class Nftables extends RequiredResource {

		public Nftables() {
			super("A kernel blackhole (nftables)", NftBlackhole::unusableBecause,
					"run as root with CAP_NET_ADMIN, apt-get install -y nftables; .ci/run does");
		}

	}

	/** Skips or fails where Debian's {@code tinyproxy} is not installed. */
	public static final class Tinyproxy extends RequiredResource {

		public Tinyproxy() {
			super("A forward proxy (tinyproxy)", TestTinyproxy::unusableBecause,
					"apt-get install -y tinyproxy; .ci/run does", TestTinyproxy.REQUIRED);
		}

	}

}
