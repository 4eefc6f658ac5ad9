package com.acme.tokenbroker.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests that need a real Redis server on loopback: {@code TOKEN_BROKER_TEST_REDIS_URL}
 * (default {@code redis://127.0.0.1:6379}). Where none answers they are skipped with a
 * message saying how to run them, unless {@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true}
 * (set by {@code .ci/run}, which starts one): then they fail.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiredResource.Redis.class)
public @interface RequiresRedis {

}
