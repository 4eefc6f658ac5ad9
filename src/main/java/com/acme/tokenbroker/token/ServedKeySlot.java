package com.acme.tokenbroker.token;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.upstream.KeySlot;

/**
 * Which of a key-auth service's two keys the broker serves now. The answer belongs to key
 * rotation (the {@code keys} package), which switches it; the token source only reads it.
 */
@FunctionalInterface
public interface ServedKeySlot {

	/**
	 * @param service a key-auth service
	 * @return the key to serve
	 */
	KeySlot served(ServiceName service);

}
