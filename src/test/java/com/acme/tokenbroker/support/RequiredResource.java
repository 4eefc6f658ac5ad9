package com.acme.tokenbroker.support;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit condition behind {@link RequiresRedis}, {@link RequiresNftables} and
 * {@link RequiresPrometheus} and {@link RequiresTinyproxy}: a test class whose resource
 * cannot be used is skipped with the reason and how to provide it, unless the resource's
 * environment variable says it is required ({@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true}
 * for Redis and nftables, {@code TOKEN_BROKER_TEST_PROMETHEUS_REQUIRED=true} for
 * Prometheus, {@code TOKEN_BROKER_TEST_TINYPROXY_REQUIRED=true} for tinyproxy, all set by
 * {@code .ci/run}, which provides them): then it fails.
 */
public abstract class RequiredResource implements ExecutionCondition, BeforeAllCallback {

	private final String name;

	private final Supplier<String> unusableBecause;

	private final String hint;

	private final String requiredBy;

	private final BooleanSupplier required;

	/**
	 * A resource that {@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true} makes required.
	 * @param name what the tests need, for the messages
	 * @param unusableBecause why it cannot be used now, or {@code null} where it can
	 * @param hint how to provide it
	 */
	RequiredResource(String name, Supplier<String> unusableBecause, String hint) {
		this(name, unusableBecause, hint, "TOKEN_BROKER_TEST_REDIS_REQUIRED", TestRedis::required);
	}

	/**
	 * @param name what the tests need, for the messages
	 * @param unusableBecause why it cannot be used now, or {@code null} where it can
	 * @param hint how to provide it
	 * @param requiredBy the environment variable that makes it required, for the message
	 * @param required whether that variable is set
	 */
	RequiredResource(String name, Supplier<String> unusableBecause, String hint, String requiredBy,
			BooleanSupplier required) {
		this.name = name;
		this.unusableBecause = unusableBecause;
		this.hint = hint;
		this.requiredBy = requiredBy;
		this.required = required;
	}

	@Override
	public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
		String unusable = this.unusableBecause.get();
		if (this.required.getAsBoolean() || unusable == null) {
			return ConditionEvaluationResult.enabled(this.name + " usable");
		}
		return ConditionEvaluationResult.disabled(this.name + " not usable: " + unusable + " (" + this.hint + ")");
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		String unusable = this.unusableBecause.get();
		if (unusable != null) {
			throw new AssertionError(this.requiredBy + " is set but " + unusable);
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

	/**
	 * Skips or fails where no Prometheus server binary can be found
	 * ({@link TestPrometheus}).
	 */
	public static final class Prometheus extends RequiredResource {

		public Prometheus() {
			super("A Prometheus server", TestPrometheus::unusableBecause,
					"apt-get install -y prometheus, or set TOKEN_BROKER_TEST_PROMETHEUS to the binary; .ci/run does",
					"TOKEN_BROKER_TEST_PROMETHEUS_REQUIRED", TestPrometheus::required);
		}

	}

	/** Skips or fails where Debian's {@code tinyproxy} is not installed. */
	public static final class Tinyproxy extends RequiredResource {

		public Tinyproxy() {
			super("A forward proxy (tinyproxy)", TestTinyproxy::unusableBecause,
					"apt-get install -y tinyproxy; .ci/run does", TestTinyproxy.REQUIRED,
					() -> "true".equalsIgnoreCase(System.getenv(TestTinyproxy.REQUIRED)));
		}

	}

}
