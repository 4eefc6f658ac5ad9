package com.acme.tokenbroker.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests that route the broker through a real forward proxy on loopback, Debian's
 * {@code tinyproxy}, which each test starts itself ({@link TestTinyproxy}). Without the
 * binary they are skipped with a message saying how to install it, unless
 * {@code TOKEN_BROKER_TEST_TINYPROXY_REQUIRED=true} (set by {@code .ci/run}, which
 * installs it): then they fail.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiredResource.Tinyproxy.class)
public @interface RequiresTinyproxy {

}
