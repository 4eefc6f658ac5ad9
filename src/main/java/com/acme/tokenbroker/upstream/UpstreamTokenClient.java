package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * Talks to Azure Machine Learning about one configured service: its token, its metadata,
 * its keys. Only a {@link ServiceDescriptor}, which exists solely for configured
 * services, can be passed: a caller-supplied name never reaches an upstream URL. Every
 * call goes through the region's circuit breaker, bulkhead and request budget.
 */
public interface UpstreamTokenClient {

	/**
	 * Fetch a new token, blocking for at most the configured timeouts.
	 * @param service the configured service
	 * @return the validated token
	 * @throws UpstreamException when the call fails or the answer is not a usable token
	 */
	UpstreamToken fetch(ServiceDescriptor service);

	/**
	 * Read the service's auth mode and scoring URI: v1
	 * {@code aadAuthEnabled}/{@code authEnabled}/{@code scoringUri}, v2
	 * {@code properties.authMode}/{@code properties.scoringUri}.
	 * @param service the configured service
	 * @return its metadata
	 */
	ServiceMetadata describe(ServiceDescriptor service);

	/**
	 * List the service's keys.
	 * @param service the configured service
	 * @return both keys
	 */
	ServiceKeys listKeys(ServiceDescriptor service);

	/**
	 * Regenerate one key and wait for the regeneration to finish, polling an asynchronous
	 * operation if the upstream answers 202.
	 * @param service the configured service
	 * @param slot which key
	 */
	void regenerateKey(ServiceDescriptor service, KeySlot slot);

}
