package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.temporal.ChronoUnit;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.upstream.UpstreamToken;
import com.acme.tokenbroker.upstream.UpstreamTokenClient;

/**
 * The {@link TokenSource} that asks Azure ML directly.
 */
class UpstreamTokenSource implements TokenSource {

	private final UpstreamTokenClient client;

	private final Clock clock;

	UpstreamTokenSource(UpstreamTokenClient client, Clock clock) {
		this.client = client;
		this.clock = clock;
	}

	@Override
	public BrokeredToken load(ServiceDescriptor service) {
		UpstreamToken token = this.client.fetch(service);
		return new BrokeredToken(service.name(), token.tokenType(), token.value(), token.refreshAfter(),
				token.expiresAt(), this.clock.instant().truncatedTo(ChronoUnit.MILLIS));
	}

}
