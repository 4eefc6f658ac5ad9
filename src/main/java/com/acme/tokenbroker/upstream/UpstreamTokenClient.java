package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * Fetches a configured service's token from Azure Machine Learning. This and the other
 * two seams over the workspace ({@link ServiceMetadataClient}, {@link ServiceKeysClient})
 * share two rules: only a {@link ServiceDescriptor}, which exists solely for configured
 * services, can be passed, so a caller-supplied name never reaches an upstream URL; and
 * every call goes through the region's circuit breaker, bulkhead and request budget.
 */
@FunctionalInterface
public interface UpstreamTokenClient {

	/**
	 * Fetch a new token, blocking for at most the configured timeouts.
	 * @param service the configured service
	 * @return the validated token
	 * @throws UpstreamException when the call fails or the answer is not a usable token
	 */
	UpstreamToken fetch(ServiceDescriptor service);

}
