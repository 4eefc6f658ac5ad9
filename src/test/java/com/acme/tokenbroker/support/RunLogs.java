package com.acme.tokenbroker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;

/**
 * Starts the run logs ({@code target/test-logs/test-run.*}) afresh once per test JVM,
 * when logback first reads {@code logback-test.xml}: Spring Boot configures logging again
 * for every application context, so an appender that truncated its file each time would
 * leave LogSecrecyTests the last context's lines only.
 */
public class RunLogs implements StatusListener {

	static {
		try {
			Files.deleteIfExists(Path.of("target", "test-logs", "test-run.log"));
			Files.deleteIfExists(Path.of("target", "test-logs", "test-run.json"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public void addStatusEvent(Status status) {
	}

}
