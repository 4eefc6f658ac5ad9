package com.acme.tokenbroker.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.RefreshTick;
import com.acme.tokenbroker.token.TokenCache;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;

/**
 * The configured file sinks ({@code broker.sinks}), kept in line with the token cache on
 * every tick of the refresher: a sink's file is rewritten when the credential the broker
 * serves for its service changes (a refresh, which the refresher runs ahead of
 * {@code refreshBy}; a key rotation; a switch of auth mode), at most one
 * {@code refresh-check-interval} after the cache got it, and removed or emptied when no
 * usable credential is held, at most one interval after the cached one passed its hard
 * expiry. So the file never holds a credential the broker would refuse to serve. A sink
 * that cannot write retries on every tick. At start, each sink clears what an earlier run
 * left, before the first token arrives.
 * <p>
 * With no sinks configured this does nothing; the bean exists either way, as Spring AOT
 * needs.
 */
public class FileSinks implements RefreshTick, SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(FileSinks.class);

	private final List<FileSink> sinks;

	private final TokenCache cache;

	private final RefreshPolicy policy;

	private final JsonMapper mapper;

	private final Clock clock;

	private volatile boolean running;

	FileSinks(SinkProperties properties, ServiceCatalog catalog, TokenCache cache, RefreshPolicy policy,
			JsonMapper mapper, MeterRegistry meterRegistry, Clock clock) {
		this.cache = cache;
		this.policy = policy;
		this.mapper = mapper;
		this.clock = clock;
		List<FileSink> sinks = new ArrayList<>();
		for (Map.Entry<String, SinkProperties.Sink> entry : properties.sinks().entrySet()) {
			String prefix = "broker.sinks." + entry.getKey();
			SinkProperties.Sink sink = entry.getValue();
			ServiceName service = catalog.find(ServiceName.of(sink.service()))
				.map(ServiceDescriptor::name)
				.orElseThrow(() -> new InvalidConfigurationException(prefix + ".service",
						"'" + sink.service() + "' is not a configured service (broker.services)"));
			if (!Files.isDirectory(sink.path().getParent())) {
				throw new InvalidConfigurationException(prefix + ".path",
						"its directory " + sink.path().getParent() + " does not exist");
			}
			if (Files.isDirectory(sink.path(), LinkOption.NOFOLLOW_LINKS)) {
				throw new InvalidConfigurationException(prefix + ".path", "is a directory");
			}
			sinks.add(new FileSink(entry.getKey(), service, sink, meterRegistry));
		}
		this.sinks = List.copyOf(sinks);
	}

	/** Clears what an earlier run left: it may hold a credential expired since. */
	@Override
	public void start() {
		for (FileSink sink : this.sinks) {
			try {
				AtomicFiles.removeLeftovers(sink.path());
			}
			catch (IOException ex) {
				logger.warn("Sink '{}' could not delete temporary files left beside {} ({})", sink.name(), sink.path(),
						ex.getClass().getSimpleName());
			}
		}
		sync();
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public void onTick() {
		// start() clears what an earlier run left, then syncs itself
		if (this.running) {
			sync();
		}
	}

	@Override
	public String name() {
		return "file-sinks";
	}

	/**
	 * Bring every sink's file in line with the cache now. Called on each refresher tick,
	 * and by tests after moving virtual time.
	 */
	public void sync() {
		for (FileSink sink : this.sinks) {
			// each sink's own instant: one that waited behind a stalled one is judged now
			Instant now = this.clock.instant();
			BrokeredToken token = this.cache.current(sink.service());
			sink.sync(token, (usable) -> sink.format().render(usable, this.policy.isStale(usable, now), this.mapper),
					now);
		}
	}

	/**
	 * The sink whose update has not returned for {@link #STALLED} or more (a write on a
	 * stalled mount): it, and the sinks after it, are not kept in line meanwhile, an
	 * expired credential's removal included.
	 * @return the stalled sink and since when, or {@code null}
	 */
	Syncing stalled() {
		Instant now = this.clock.instant();
		for (FileSink sink : this.sinks) {
			Instant since = sink.updatingSince();
			if (since != null && !since.plus(STALLED).isAfter(now)) {
				return new Syncing(sink, since);
			}
		}
		return null;
	}

	/**
	 * A sink's state as its health detail and {@code GET /admin/sinks} show it.
	 * @param sink a sink
	 * @param stalled the stalled update, if any ({@link #stalled()})
	 * @return {@code stalled} for the stalled sink, otherwise its last update's state
	 */
	static String stateOf(FileSink sink, Syncing stalled) {
		return isStalled(sink, stalled) ? "stalled" : sink.state().name().toLowerCase(java.util.Locale.ROOT);
	}

	/**
	 * @param sink a sink
	 * @param stalled the stalled update, if any ({@link #stalled()})
	 * @return whether that update is the sink's
	 */
	static boolean isStalled(FileSink sink, Syncing stalled) {
		return stalled != null && stalled.sink() == sink;
	}

	/** How long a sink's update may take before the sinks' health is DOWN. */
	static final java.time.Duration STALLED = java.time.Duration.ofSeconds(30);

	/**
	 * A sink's update in progress.
	 *
	 * @param sink the sink
	 * @param since when its update began
	 */
	record Syncing(FileSink sink, Instant since) {
	}

	List<FileSink> sinks() {
		return this.sinks;
	}

}
