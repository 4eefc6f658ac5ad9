package com.acme.tokenbroker.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests that drop packets in the kernel with an {@link NftBlackhole}: they need the
 * {@code nft} binary and CAP_NET_ADMIN (root). Where nftables cannot be used they are
 * skipped with the reason, unless {@code TOKEN_BROKER_TEST_REDIS_REQUIRED=true} (set by
 * {@code .ci/run}, which runs as root and installs nftables): then they fail, as
 * {@link RequiresRedis} tests do without Redis.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiredResource.Nftables.class)
public @interface RequiresNftables {

}
