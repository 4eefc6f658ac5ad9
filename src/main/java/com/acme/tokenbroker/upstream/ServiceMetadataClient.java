package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * Reads what decides which credential a configured service takes, under the rules of
 * {@link UpstreamTokenClient}.
 */
@FunctionalInterface
public interface ServiceMetadataClient {

	/**
	 * Read the service's auth mode and scoring URI: v1
	 * {@code aadAuthEnabled}/{@code authEnabled}/{@code scoringUri}, v2
	 * {@code properties.authMode}/{@code properties.scoringUri}.
	 * @param service the configured service
	 * @return its metadata
	 * @throws UpstreamException when the call fails or the answer is not usable
	 */
	ServiceMetadata describe(ServiceDescriptor service);

}
