package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * Fetches a service's token from Azure Machine Learning. Only a {@link ServiceDescriptor}, which exists solely for
 * configured services, can be passed: a caller-supplied name never reaches an upstream URL.
 */
public interface UpstreamTokenClient {

	/**
	 * Fetch a new token, blocking for at most the configured timeouts.
	 * @param service the configured service
	 * @return the validated token
	 * @throws UpstreamException when the call fails or the answer is not a usable token
	 */
	UpstreamToken fetch(ServiceDescriptor service);

}
