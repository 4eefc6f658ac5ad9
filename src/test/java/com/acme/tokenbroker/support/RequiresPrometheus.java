package com.acme.tokenbroker.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests that run a real Prometheus server on loopback ({@link TestPrometheus}): the
 * {@code prometheus} binary from {@code TOKEN_BROKER_TEST_PROMETHEUS} or the
 * {@code PATH}. Where there is none they are skipped with a message saying how to get it,
 * unless {@code TOKEN_BROKER_TEST_PROMETHEUS_REQUIRED=true} (set by {@code .ci/run},
 * which installs Debian's {@code prometheus} package): then they fail.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiredResource.Prometheus.class)
public @interface RequiresPrometheus {

}
