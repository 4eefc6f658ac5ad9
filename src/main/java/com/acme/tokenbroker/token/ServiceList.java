package com.acme.tokenbroker.token;

import java.util.List;

import com.acme.tokenbroker.catalog.ServiceDescriptor;

/**
 * The body of {@code GET /tokens}: the services the caller may fetch, with metadata and
 * never a token value.
 *
 * @param services the entries
 */
record ServiceList(List<Entry> services) {

	/**
	 * One service.
	 *
	 * @param service the name callers use
	 * @param kind {@code webservice} or {@code online-endpoint}
	 * @param workspace the workspace alias
	 * @param region the region
	 * @param cached whether a usable token is cached
	 * @param expiresAt expiry of the cached token, if any
	 * @param refreshBy refresh time of the cached token, if any
	 * @param fetchedAt when it was fetched, if any
	 * @param stale whether the cached token is past its refresh time
	 * @param credentialType the cached credential's type, if any
	 * @param scoringUri where the service scores, when known
	 */
	record Entry(String service, String kind, String workspace, String region, boolean cached, String expiresAt,
			String refreshBy, String fetchedAt, boolean stale, String credentialType, String scoringUri) {

		static Entry of(ServiceDescriptor service, BrokeredToken token, boolean stale) {
			String kind = service.kind().tag();
			if (token == null) {
				return new Entry(service.name().value(), kind, service.workspace().alias(), service.region(), false,
						null, null, null, false, null, null);
			}
			return new Entry(service.name().value(), kind, service.workspace().alias(), service.region(), true,
					AnswerTimes.iso(token.expiresAt()), AnswerTimes.iso(token.refreshAfter()),
					AnswerTimes.iso(token.fetchedAt()), stale, token.credentialType(), token.scoringUri());
		}

	}

}
