package com.acme.tokenbroker.upstream;

import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each service to the client for its kind and records {@code broker.upstream.calls} (a timer tagged with
 * workspace, region, kind and outcome). Failures are logged once per call with their class, never with a body.
 */
final class RoutingUpstreamTokenClient implements UpstreamTokenClient {

	private static final Logger logger = LoggerFactory.getLogger(RoutingUpstreamTokenClient.class);

	private final UpstreamTokenClient webservices;

	private final UpstreamTokenClient onlineEndpoints;

	private final MeterRegistry meterRegistry;

	RoutingUpstreamTokenClient(UpstreamTokenClient webservices, UpstreamTokenClient onlineEndpoints,
			MeterRegistry meterRegistry) {
		this.webservices = webservices;
		this.onlineEndpoints = onlineEndpoints;
		this.meterRegistry = meterRegistry;
	}

	@Override
	public UpstreamToken fetch(ServiceDescriptor service) {
		UpstreamTokenClient client = switch (service.kind()) {
			case WEBSERVICE -> this.webservices;
			case ONLINE_ENDPOINT -> this.onlineEndpoints;
		};
		long start = System.nanoTime();
		String outcome = "success";
		try {
			return client.fetch(service);
		}
		catch (UpstreamException ex) {
			outcome = ex.getKind().tag();
			if (ex.getKind().isRetryable()) {
				logger.warn("Upstream call for service '{}' in region {} failed: {}", service.name(), service.region(),
						ex.getMessage());
			}
			else {
				logger.error("Upstream call for service '{}' in region {} was refused and needs an operator: {}",
						service.name(), service.region(), ex.getMessage());
			}
			throw ex;
		}
		finally {
			Timer.builder("broker.upstream.calls")
				.description("Upstream token calls by workspace, region, kind and outcome")
				.tag("workspace", service.workspace().alias())
				.tag("region", service.region())
				.tag("kind", service.kind().tag())
				.tag("outcome", outcome)
				.register(this.meterRegistry)
				.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
		}
	}

}
