package com.acme.tokenbroker.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.logging.logback.StructuredLogEncoder;
import org.springframework.core.env.Environment;
import org.springframework.mock.env.MockEnvironment;

/**
 * The lines a logger (and its children) writes from now on, formatted by Spring Boot's
 * structured logging as the broker writes them with
 * {@code logging.structured.format.console} set, and parsed back: what a log collector
 * receives.
 */
public final class JsonLogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

	private final Logger logger;

	private final StructuredLogEncoder encoder = new StructuredLogEncoder();

	private final List<String> lines = new CopyOnWriteArrayList<>();

	private JsonLogCapture(String loggerName, String format) {
		this.logger = (Logger) LoggerFactory.getLogger(loggerName);
		// The encoder reads its settings (ECS service.name) from a Spring Environment in
		// its logback context: a context of its own, so the run's logging is untouched
		LoggerContext settings = new LoggerContext();
		settings.putObject(Environment.class.getName(),
				new MockEnvironment().withProperty("logging.structured.ecs.service.name", "token-broker"));
		this.encoder.setContext(settings);
		this.encoder.setFormat(format);
		this.encoder.start();
		setContext(this.logger.getLoggerContext());
		setName("json-capture");
		start();
		this.logger.addAppender(this);
	}

	/**
	 * @param loggerName the logger, e.g. {@code ROOT}
	 * @param format {@code ecs} or {@code logstash}
	 * @return a capture running until closed
	 */
	public static JsonLogCapture of(String loggerName, String format) {
		return new JsonLogCapture(loggerName, format);
	}

	@Override
	protected void append(ILoggingEvent event) {
		this.lines.add(new String(this.encoder.encode(event), StandardCharsets.UTF_8));
	}

	/**
	 * @return the lines so far, as written
	 */
	public List<String> lines() {
		return List.copyOf(this.lines);
	}

	/**
	 * @return the lines so far, parsed
	 */
	public List<JsonNode> events() {
		return this.lines.stream().map((line) -> JsonMapper.shared().readTree(line)).toList();
	}

	@Override
	public void close() {
		this.logger.detachAppender(this);
		stop();
		this.encoder.stop();
	}

}
