package com.acme.tokenbroker.sink;

import java.util.LinkedHashMap;
import java.util.Map;

import com.acme.tokenbroker.token.AnswerTimes;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN while a file sink cannot update its file, or an update has not returned for 30 s
 * ({@code stalled}, a write on a stalled mount: the sinks after it wait too), UP
 * otherwise (also with no sink). Details list each sink's service, path, format, state
 * and last error, never a credential. It is part of neither probe: a failing sink is an
 * operator's alert, not a reason to stop serving HTTP callers or to restart the broker.
 */
class SinksHealthIndicator implements HealthIndicator {

	private final FileSinks sinks;

	SinksHealthIndicator(FileSinks sinks) {
		this.sinks = sinks;
	}

	@Override
	public Health health() {
		Map<String, Object> details = new LinkedHashMap<>();
		FileSinks.Syncing stalled = this.sinks.stalled();
		boolean failing = stalled != null;
		for (FileSink sink : this.sinks.sinks()) {
			Map<String, Object> detail = new LinkedHashMap<>();
			detail.put("service", sink.service().value());
			detail.put("path", sink.path().toString());
			detail.put("format", sink.format().name().toLowerCase(java.util.Locale.ROOT));
			detail.put("state", FileSinks.stateOf(sink, stalled));
			if (FileSinks.isStalled(sink, stalled)) {
				detail.put("stalledSince", AnswerTimes.iso(stalled.since()));
			}
			if (sink.changedAt() != null) {
				detail.put("since", AnswerTimes.iso(sink.changedAt()));
			}
			if (sink.lastError() != null) {
				detail.put("lastError", sink.lastError());
				detail.put("consecutiveFailures", sink.consecutiveFailures());
			}
			failing |= sink.state() == FileSink.State.FAILING;
			details.put(sink.name(), detail);
		}
		return (failing ? Health.down() : Health.up()).withDetail("sinks", details).build();
	}

}
