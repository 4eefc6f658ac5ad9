package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * A key-auth service's two keys: read to serve one, regenerated to rotate them, under the
 * rules of {@link UpstreamTokenClient}.
 */
public interface ServiceKeysClient {

	/**
	 * List the service's keys.
	 * @param service the configured service
	 * @return both keys
	 * @throws UpstreamException when the call fails or the answer is not usable
	 */
	ServiceKeys listKeys(ServiceDescriptor service);

	/**
	 * Regenerate one key and wait for the regeneration to finish, polling an asynchronous
	 * operation if the upstream answers 202.
	 * @param service the configured service
	 * @param slot which key
	 * @throws UpstreamException when the regeneration fails or does not finish in time
	 */
	void regenerateKey(ServiceDescriptor service, KeySlot slot);

}
