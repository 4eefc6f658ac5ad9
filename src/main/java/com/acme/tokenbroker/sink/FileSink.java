package com.acme.tokenbroker.sink;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Set;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.token.BrokeredToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's file and what it last did with it. {@link #sync} is called with the
 * service's usable credential (or {@code null}) and touches the file only when that
 * differs from what the file holds, or when the last attempt failed.
 */
final class FileSink {

	private static final Logger logger = LoggerFactory.getLogger(FileSink.class);

	/** What the file holds, as far as the broker knows. */
	enum State {

		/** Not synced yet since start. */
		PENDING,

		/** The current credential. */
		WRITTEN,

		/** No credential: removed, or the empty marker. */
		CLEARED,

		/** The last attempt to write or clear it failed; retried at the next tick. */
		FAILING

	}

	/** When the update in progress began; {@code null} between updates. */
	private volatile Instant updatingSince;

	private final String name;

	private final ServiceName service;

	private final Path path;

	private final SinkFormat format;

	private final Set<PosixFilePermission> permissions;

	private final SinkProperties.OnUnusable onUnusable;

	private final Counter written;

	private final Counter cleared;

	private final Counter failed;

	private BrokeredToken held;

	private volatile State state = State.PENDING;

	private volatile String lastError;

	private volatile Instant changedAt;

	private volatile int consecutiveFailures;

	FileSink(String name, ServiceName service, SinkProperties.Sink sink, MeterRegistry meterRegistry) {
		this.name = name;
		this.service = service;
		this.path = sink.path();
		this.format = sink.format();
		this.permissions = SinkProperties.permissions("broker.sinks." + name + ".mode", sink.mode());
		this.onUnusable = sink.onUnusable();
		this.written = counter(meterRegistry, "written");
		this.cleared = counter(meterRegistry, "cleared");
		this.failed = counter(meterRegistry, "failed");
		meterRegistry.gauge("broker.sink.failing", Tags.of("sink", name, "service", service.value()), this,
				(self) -> (self.state == State.FAILING) ? 1 : 0);
	}

	private Counter counter(MeterRegistry meterRegistry, String outcome) {
		return Counter.builder("broker.sink.writes")
			.description("File sink updates, by sink and outcome (written, cleared, failed)")
			.tag("sink", this.name)
			.tag("service", this.service.value())
			.tag("outcome", outcome)
			.register(meterRegistry);
	}

	/**
	 * Bring the file in line with the service's credential.
	 * @param token the usable credential, or {@code null} when none is
	 * @param content renders the credential, called only when it is to be written
	 * @param now the current instant
	 */
	void sync(BrokeredToken token, Content content, Instant now) {
		synchronized (this) {
			this.updatingSince = now;
			try {
				update(token, content, now);
			}
			finally {
				this.updatingSince = null;
			}
		}
	}

	/**
	 * @return when the update in progress began, or {@code null} between updates
	 */
	Instant updatingSince() {
		return this.updatingSince;
	}

	private void update(BrokeredToken token, Content content, Instant now) {
		if (token != null) {
			if (this.state == State.WRITTEN && token.equals(this.held)) {
				return;
			}
			try {
				AtomicFiles.replace(this.path, content.render(token), this.permissions);
				this.held = token;
				succeeded(State.WRITTEN, now);
				this.written.increment();
				logger.info("Sink '{}' wrote the {} of service '{}' to {} (refresh by {}, expires at {})", this.name,
						token.credentialType(), this.service, this.path, token.refreshAfter(), token.expiresAt());
			}
			catch (IOException | RuntimeException ex) {
				failed(ex, now);
			}
			return;
		}
		if (this.state == State.CLEARED) {
			return;
		}
		try {
			if (this.onUnusable == SinkProperties.OnUnusable.EMPTY) {
				AtomicFiles.replace(this.path, new byte[0], this.permissions);
			}
			else {
				AtomicFiles.remove(this.path);
			}
			boolean hadOne = this.held != null;
			this.held = null;
			succeeded(State.CLEARED, now);
			this.cleared.increment();
			if (hadOne) {
				logger.warn("Sink '{}' holds no usable credential of service '{}' any more: {} {}", this.name,
						this.service, this.path,
						(this.onUnusable == SinkProperties.OnUnusable.EMPTY) ? "emptied" : "removed");
			}
		}
		catch (IOException | RuntimeException ex) {
			failed(ex, now);
		}
	}

	private void succeeded(State next, Instant now) {
		if (this.state == State.FAILING) {
			logger.info("Sink '{}' recovered after {} failed attempts", this.name, this.consecutiveFailures);
		}
		this.state = next;
		this.changedAt = now;
		this.lastError = null;
		this.consecutiveFailures = 0;
	}

	/** The exception's kind and reason only: never what was being written. */
	private void failed(Exception ex, Instant now) {
		String error = ex.getClass().getSimpleName()
				+ ((ex instanceof FileSystemException fs && fs.getReason() != null) ? ": " + fs.getReason() : "");
		this.failed.increment();
		this.consecutiveFailures++;
		if (this.state != State.FAILING || !error.equals(this.lastError)) {
			logger.error("Sink '{}' could not update {} ({}); retrying at the next refresh tick", this.name, this.path,
					error);
			this.changedAt = now;
		}
		else {
			logger.debug("Sink '{}' still cannot update {} ({}, {} attempts)", this.name, this.path, error,
					this.consecutiveFailures);
		}
		this.state = State.FAILING;
		this.lastError = error;
	}

	String name() {
		return this.name;
	}

	ServiceName service() {
		return this.service;
	}

	Path path() {
		return this.path;
	}

	SinkFormat format() {
		return this.format;
	}

	State state() {
		return this.state;
	}

	String lastError() {
		return this.lastError;
	}

	Instant changedAt() {
		return this.changedAt;
	}

	int consecutiveFailures() {
		return this.consecutiveFailures;
	}

	@Override
	public String toString() {
		return "FileSink[" + this.name + ", service=" + this.service + ", path=" + this.path + ", state=" + this.state
				+ "]";
	}

	/** Renders a credential into the file's content. */
	@FunctionalInterface
	interface Content {

		byte[] render(BrokeredToken token);

	}

}
