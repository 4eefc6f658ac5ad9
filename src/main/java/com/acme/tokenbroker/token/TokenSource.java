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

}
