package com.acme.tokenbroker.token;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * Where the {@link TokenCache} gets tokens it does not hold: the upstream today, and a
 * shared second-level cache (which consults the upstream itself when it has nothing
 * fresher) once one is configured. Implementations block; the cache calls them off the
 * request path, at most once at a time per service.
 */
public interface TokenSource {

	/**
	 * Obtain a token newer than the one the caller holds. A shared cache uses
	 * {@code held} to tell whether what it has is newer; the upstream ignores it.
	 * @param service the configured service
	 * @param held the token the caller holds now, or {@code null}
	 * @return a token whose hard expiry has not passed
	 * @throws com.acme.tokenbroker.upstream.UpstreamException when no token can be had
	 */
	BrokeredToken load(ServiceDescriptor service, BrokeredToken held);

	/**
	 * Obtain a token after a caller reported that the service refused {@code rejected}
	 * ({@code POST /tokens/{service}/rejections}): like {@link #load}, but a token of the
	 * same value from a cache (a fleet's shared entry) is no answer; only a source that
	 * has it anew from the upstream may hand that value back. The upstream has no cache
	 * and keeps the default.
	 * @param service the configured service
	 * @param rejected the token the caller holds and a caller reported refused
	 * @return a token whose hard expiry has not passed
	 * @throws com.acme.tokenbroker.upstream.UpstreamException when no token can be had
	 */
	default BrokeredToken loadReplacing(ServiceDescriptor service, BrokeredToken rejected) {
		return load(service, rejected);
	}

}
