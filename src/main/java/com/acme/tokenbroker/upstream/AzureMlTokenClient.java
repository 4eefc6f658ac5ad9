package com.acme.tokenbroker.upstream;

import java.util.concurrent.TimeUnit;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches tokens from the Azure ML API of each service's kind ({@link TokenApi}) and records
 * {@code broker.upstream.calls}, a timer tagged with workspace, region, kind and outcome. Failures are logged once
 * per call with their class, never with a body; refusals that need an operator (401, 403, 404) at ERROR.
 */
final class AzureMlTokenClient implements UpstreamTokenClient {

	private static final Logger logger = LoggerFactory.getLogger(AzureMlTokenClient.class);

	private final UpstreamHttp http;

	private final TokenResponseReader reader;

	private final MeterRegistry meterRegistry;

	AzureMlTokenClient(UpstreamHttp http, TokenResponseReader reader, MeterRegistry meterRegistry) {
		this.http = http;
		this.reader = reader;
		this.meterRegistry = meterRegistry;
	}

	@Override
	public UpstreamToken fetch(ServiceDescriptor service) {
		TokenApi api = TokenApi.of(service.kind());
		String what = api.describe(service);
		long start = System.nanoTime();
		String outcome = "success";
		try {
			return this.reader.read(this.http.post(api.uri(service), what), api.refreshField(), api.expiryField(), what);
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
