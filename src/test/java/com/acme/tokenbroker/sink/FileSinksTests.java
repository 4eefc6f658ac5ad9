package com.acme.tokenbroker.sink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.system.InvalidConfigurationException;
import com.acme.tokenbroker.token.AnswerTimes;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.RefreshPolicy;
import com.acme.tokenbroker.token.TokenBodies;
import com.acme.tokenbroker.token.TokenCache;
import com.acme.tokenbroker.token.TokenProperties;
import com.acme.tokenbroker.upstream.UpstreamException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, item 3: a file sink writes the served credential atomically whenever it
 * changes, never an expired one, and clears the file when none is usable. Virtual time;
 * fetches run on the calling thread.
 */
@ExtendWith(OutputCaptureExtension.class)
class FileSinksTests {

	private static final Duration REFRESH_AFTER = Duration.ofMinutes(30);

	private static final Duration EXPIRES_AFTER = Duration.ofHours(1);

	private final MutableClock clock = MutableClock.startingAt("2026-12-07T10:00:00Z");

	private final ServiceCatalog catalog = TestCatalog.withServices("fraud-scoring", "other");

	private final ServiceDescriptor fraud = this.catalog.find(ServiceName.of("fraud-scoring")).orElseThrow();

	private final TokenProperties tokenProperties = new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5),
			Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 100,
			Duration.ZERO, 2, Duration.ofHours(24), Duration.ofMinutes(10));

	private final RefreshPolicy policy = new RefreshPolicy(this.tokenProperties, new SplittableRandom(7)::nextLong);

	private final AtomicReference<BrokeredToken> next = new AtomicReference<>();

	private final TokenCache cache = new TokenCache(this.catalog, (service, held) -> {
		BrokeredToken token = this.next.get();
		if (token == null) {
			throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 503, null, "down");
		}
		return token;
	}, this.policy, this.tokenProperties, Runnable::run, new SimpleMeterRegistry(), this.clock);

	private final JsonMapper mapper = JsonMapper.builder().build();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private int serial;

	@TempDir
	Path directory;

	private BrokeredToken token(String type, String value) {
		Instant now = this.clock.instant();
		return new BrokeredToken(this.fraud.name(), "Bearer", value, now.plus(REFRESH_AFTER), now.plus(EXPIRES_AFTER),
				now, type, "https://fraud.example/score");
	}

	private BrokeredToken fetch(String type) throws Exception {
		this.next.set(token(type, type + "-secret-" + (++this.serial)));
		return this.cache.load(this.fraud).get(5, TimeUnit.SECONDS);
	}

	private FileSinks sinks(SinkProperties.Sink... sinks) {
		Map<String, SinkProperties.Sink> byName = new java.util.LinkedHashMap<>();
		for (int i = 0; i < sinks.length; i++) {
			byName.put("sink-" + i, sinks[i]);
		}
		return new FileSinks(new SinkProperties(byName), this.catalog, this.cache, this.policy, this.mapper,
				this.meters, this.clock);
	}

	private SinkProperties.Sink sink(String file, SinkFormat format, SinkProperties.OnUnusable onUnusable) {
		return new SinkProperties.Sink("fraud-scoring", this.directory.resolve(file), format, "0440", onUnusable);
	}

	private double writes(String outcome) {
		return this.meters.get("broker.sink.writes").tag("sink", "sink-0").tag("outcome", outcome).counter().count();
	}

	private Object inode(Path path) throws IOException {
		return Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
	}

	private List<String> directoryListing() throws IOException {
		try (Stream<Path> files = Files.list(this.directory)) {
			return files.map((path) -> path.getFileName().toString()).sorted().toList();
		}
	}

	@Test
	void syncWhenATokenIsCachedThenItIsWrittenWithTheConfiguredMode() throws Exception {
		BrokeredToken token = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));

		sinks.start();

		Path file = this.directory.resolve("fraud.token");
		assertThat(Files.readString(file)).isEqualTo(token.value());
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r--r-----");
		assertThat(directoryListing()).containsExactly("fraud.token");
		assertThat(writes("written")).isEqualTo(1);
	}

	@Test
	void syncWhenTheTokenIsUnchangedThenTheFileIsLeftAlone() throws Exception {
		fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		sinks.start();
		Object before = inode(this.directory.resolve("fraud.token"));

		this.clock.advance(Duration.ofMinutes(1));
		sinks.sync();

		assertThat(inode(this.directory.resolve("fraud.token"))).isEqualTo(before);
		assertThat(writes("written")).isEqualTo(1);
	}

	@Test
	void syncWhenTheRefresherReplacesTheTokenAheadOfRefreshByThenANewFileIsRenamedIntoPlace() throws Exception {
		BrokeredToken first = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		sinks.start();
		Path file = this.directory.resolve("fraud.token");
		Object before = inode(file);

		this.clock.set(this.cache.state(this.fraud.name()).nextAttemptAt());
		this.next.set(token("aml_token", "aml_token-secret-refreshed"));
		this.cache.runDueRefreshes().values().forEach((refresh) -> refresh.join());
		sinks.sync();

		assertThat(this.clock.instant()).as("refreshed ahead of refreshBy").isBefore(first.refreshAfter());
		assertThat(Files.readString(file)).isEqualTo("aml_token-secret-refreshed");
		assertThat(inode(file)).as("a new file renamed over the old one, never rewritten in place")
			.isNotEqualTo(before);
		assertThat(directoryListing()).containsExactly("fraud.token");
		assertThat(writes("written")).isEqualTo(2);
	}

	@Test
	void syncWhenTheTokenPassesItsHardExpiryWhileRefreshesFailThenTheFileIsRemoved(CapturedOutput output)
			throws Exception {
		BrokeredToken token = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		sinks.start();
		this.next.set(null);

		this.clock.set(this.policy.hardExpiry(token).minusSeconds(1));
		sinks.sync();
		assertThat(this.directory.resolve("fraud.token")).as("stale but usable: kept").exists();
		this.clock.set(this.policy.hardExpiry(token));
		sinks.sync();

		assertThat(this.directory.resolve("fraud.token")).doesNotExist();
		assertThat(directoryListing()).isEmpty();
		assertThat(writes("cleared")).isEqualTo(1);
		assertThat(output.getAll()).contains("Sink 'sink-0' holds no usable credential").doesNotContain(token.value());
	}

	@Test
	void syncWhenNoTokenIsUsableAndTheMarkerIsChosenThenTheFileIsEmptied() throws Exception {
		BrokeredToken token = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.EMPTY));
		sinks.start();
		this.next.set(null);

		this.clock.set(this.policy.hardExpiry(token));
		sinks.sync();

		Path file = this.directory.resolve("fraud.token");
		assertThat(file).isEmptyFile();
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r--r-----");
	}

	@Test
	void startWhenAnEarlierRunLeftAFileAndNoTokenIsHeldThenItIsClearedWithItsTemporaryFiles() throws Exception {
		Path file = Files.writeString(this.directory.resolve("fraud.token"), "expired-credential");
		Files.writeString(this.directory.resolve(".fraud.token.123.tmp"), "half");
		Files.writeString(this.directory.resolve("unrelated.tmp"), "theirs");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));

		sinks.start();

		assertThat(file).doesNotExist();
		assertThat(directoryListing()).containsExactly("unrelated.tmp");
	}

	@Test
	void syncWhenFormatIsJsonThenTheFileHoldsTheBodyOfGetTokens() throws Exception {
		BrokeredToken token = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.json", SinkFormat.JSON, SinkProperties.OnUnusable.REMOVE));

		sinks.start();

		byte[] written = Files.readAllBytes(this.directory.resolve("fraud.json"));
		assertThat(written).isEqualTo(TokenBodies.json(token, false, this.mapper));
		var json = this.mapper.readTree(written);
		assertThat(json.get("accessToken").stringValue()).isEqualTo(token.value());
		assertThat(json.get("refreshBy").stringValue()).isEqualTo(AnswerTimes.iso(token.refreshAfter()));
		assertThat(json.get("expiresAt").stringValue()).isEqualTo(AnswerTimes.iso(token.expiresAt()));
		assertThat(json.get("tokenType").stringValue()).isEqualTo("Bearer");
	}

	@Test
	void syncWhenFormatIsEnvThenAShellReadsTheValuesBack() throws Exception {
		this.next.set(token("key", "it's a $key `with` \"quotes\"\\"));
		this.cache.load(this.fraud).get(5, TimeUnit.SECONDS);
		FileSinks sinks = sinks(sink("fraud.env", SinkFormat.ENV, SinkProperties.OnUnusable.REMOVE));

		sinks.start();

		Path file = this.directory.resolve("fraud.env");
		assertThat(Files.readAllLines(file)).extracting((line) -> line.substring(0, line.indexOf('=')))
			.containsExactly("TOKEN_BROKER_FRAUD_SCORING_TOKEN", "TOKEN_BROKER_FRAUD_SCORING_TOKEN_TYPE",
					"TOKEN_BROKER_FRAUD_SCORING_CREDENTIAL_TYPE", "TOKEN_BROKER_FRAUD_SCORING_EXPIRES_AT",
					"TOKEN_BROKER_FRAUD_SCORING_REFRESH_BY", "TOKEN_BROKER_FRAUD_SCORING_SCORING_URI");
		Process shell = new ProcessBuilder("/bin/sh", "-c",
				". \"$1\" && printf '%s|%s' \"$TOKEN_BROKER_FRAUD_SCORING_TOKEN\" "
						+ "\"$TOKEN_BROKER_FRAUD_SCORING_CREDENTIAL_TYPE\"",
				"sh", file.toString())
			.redirectErrorStream(true)
			.start();
		String read = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(read).isEqualTo("it's a $key `with` \"quotes\"\\|key");
	}

	@Test
	void syncWhenTheModeSwitchesFromTokenToKeyThenTheKeyIsWritten() throws Exception {
		fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		sinks.start();

		this.clock.advance(Duration.ofMinutes(1));
		BrokeredToken key = fetch("key");
		sinks.sync();

		assertThat(Files.readString(this.directory.resolve("fraud.token"))).isEqualTo(key.value());
	}

	@Test
	void syncWhenATargetIsASymbolicLinkThenTheLinkIsReplacedAndItsTargetUntouched() throws Exception {
		BrokeredToken token = fetch("aml_token");
		Path elsewhere = Files.writeString(this.directory.resolve("elsewhere"), "not the broker's");
		Files.createSymbolicLink(this.directory.resolve("fraud.token"), elsewhere);
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));

		sinks.start();

		assertThat(Files.isSymbolicLink(this.directory.resolve("fraud.token"))).isFalse();
		assertThat(Files.readString(this.directory.resolve("fraud.token"))).isEqualTo(token.value());
		assertThat(Files.readString(elsewhere)).isEqualTo("not the broker's");
	}

	@Test
	void syncWhenTheFileCannotBeWrittenThenTheFailureIsCountedLoggedWithoutTheCredentialAndRetried(
			CapturedOutput output) throws Exception {
		BrokeredToken token = fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		SinksHealthIndicator health = new SinksHealthIndicator(sinks);
		Path file = this.directory.resolve("fraud.token");
		// a directory appears where the file goes: the rename fails, even for root
		Files.createDirectories(file.resolve("occupied"));

		sinks.start();
		sinks.sync();

		assertThat(writes("failed")).isEqualTo(2);
		assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
		assertThat(directoryListing()).as("no temporary file left behind").containsExactly("fraud.token");
		assertThat(this.meters.get("broker.sink.failing").tag("sink", "sink-0").gauge().value()).isEqualTo(1);
		assertThat(output.getAll()).contains("Sink 'sink-0' could not update").doesNotContain(token.value());

		Files.delete(file.resolve("occupied"));
		Files.delete(file);
		sinks.sync();

		assertThat(Files.readString(file)).isEqualTo(token.value());
		assertThat(health.health().getStatus()).isEqualTo(Status.UP);
		assertThat(this.meters.get("broker.sink.failing").tag("sink", "sink-0").gauge().value()).isZero();
	}

	/** A JSON mapper whose writes, once told to, do not return until released. */
	private static final class StallingMapper extends JsonMapper {

		final AtomicBoolean hang = new AtomicBoolean();

		final CountDownLatch writing = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		@Override
		public byte[] writeValueAsBytes(Object value) {
			if (this.hang.get()) {
				this.writing.countDown();
				try {
					this.release.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return super.writeValueAsBytes(value);
		}

	}

	/** A started JSON sink whose next write, on a thread of its own, hangs. */
	private FileSinks stalledSink(StallingMapper stalling) throws Exception {
		FileSinks sinks = new FileSinks(
				new SinkProperties(
						Map.of("stalled", sink("fraud.json", SinkFormat.JSON, SinkProperties.OnUnusable.REMOVE))),
				this.catalog, this.cache, this.policy, stalling, this.meters, this.clock);
		sinks.start();
		fetch("aml_token");
		stalling.hang.set(true);
		return sinks;
	}

	/** What a test checks while a sink's update hangs. */
	private interface WhileHanging {

		void check(FileSinks sinks) throws Exception;

	}

	/**
	 * Runs the check while the stalled sink's update hangs in a tick on a thread of its
	 * own, then lets the update return.
	 * @return the sinks, for what the test checks once the update has returned
	 */
	private FileSinks whileAnUpdateHangs(WhileHanging during) throws Exception {
		fetch("aml_token");
		StallingMapper stalling = new StallingMapper();
		FileSinks sinks = stalledSink(stalling);
		Thread tick = new Thread(sinks::onTick);
		tick.start();
		try {
			assertThat(stalling.writing.await(5, TimeUnit.SECONDS)).isTrue();
			during.check(sinks);
		}
		finally {
			stalling.release.countDown();
			tick.join(5000);
		}
		return sinks;
	}

	@Test
	void healthWhenASinkHasBeenSyncingForThirtySecondsThenItIsDownAndNamesTheStalledSink() throws Exception {
		FileSinks sinks = whileAnUpdateHangs((hanging) -> {
			SinksHealthIndicator health = new SinksHealthIndicator(hanging);
			this.clock.advance(Duration.ofSeconds(29));
			assertThat(health.health().getStatus()).as("a slow write").isEqualTo(Status.UP);

			this.clock.advance(Duration.ofSeconds(2));

			Health stalled = health.health();
			assertThat(stalled.getStatus()).isEqualTo(Status.DOWN);
			assertThat(stalled.getDetails().get("sinks").toString()).contains("state=stalled")
				.contains("stalledSince=2026-12-07T10:00:00Z");
		});
		assertThat(new SinksHealthIndicator(sinks).health().getStatus()).isEqualTo(Status.UP);
	}

	/**
	 * {@code GET /admin/sinks} says what the health component says: the stalled sink, and
	 * since when.
	 */
	@Test
	void adminViewWhenASinkHasBeenSyncingForThirtySecondsThenStalledSinceItsUpdateBegan() throws Exception {
		FileSinks sinks = whileAnUpdateHangs((hanging) -> {
			FileSink sink = hanging.sinks().get(0);
			this.clock.advance(Duration.ofSeconds(29));
			assertThat(SinkController.SinkView.of(sink, hanging.stalled()).stalledSince()).isNull();

			this.clock.advance(Duration.ofSeconds(2));

			SinkController.SinkView view = SinkController.SinkView.of(sink, hanging.stalled());
			assertThat(view.state()).isEqualTo("stalled");
			assertThat(view.stalledSince()).isEqualTo("2026-12-07T10:00:00Z");
		});
		SinkController.SinkView after = SinkController.SinkView.of(sinks.sinks().get(0), sinks.stalled());
		assertThat(after.state()).isEqualTo("written");
		assertThat(after.stalledSince()).isNull();
	}

	/**
	 * A second sync while one hangs (a test's, or a restarted refresher's tick) waits for
	 * the sink and does not make the hung update look new.
	 */
	@Test
	void healthWhenASecondSyncWaitsBehindAStalledOneThenTheStallStillCountsFromTheFirst() throws Exception {
		List<Thread> second = new java.util.ArrayList<>();
		whileAnUpdateHangs((hanging) -> {
			SinksHealthIndicator health = new SinksHealthIndicator(hanging);
			this.clock.advance(Duration.ofSeconds(31));
			Thread sync = new Thread(hanging::sync);
			second.add(sync);
			sync.start();
			await().atMost(Duration.ofSeconds(5)).until(() -> sync.getState() == Thread.State.BLOCKED);

			assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.health().getDetails().get("sinks").toString())
				.contains("stalledSince=2026-12-07T10:00:00Z");
		});
		for (Thread sync : second) {
			sync.join(5000);
		}
	}

	@Test
	void onTickBeforeStartWritesNothing() throws Exception {
		fetch("aml_token");
		FileSinks sinks = sinks(sink("fraud.token", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));

		sinks.onTick();

		assertThat(this.directory.resolve("fraud.token")).doesNotExist();
	}

	@Test
	void newWhenTheServiceIsNotConfiguredThenStartFailsNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> sinks(new SinkProperties.Sink("nope", this.directory.resolve("f"), SinkFormat.TOKEN,
					"0440", SinkProperties.OnUnusable.REMOVE)))
			.withMessage("broker.sinks.sink-0.service: 'nope' is not a configured service (broker.services)");
	}

	@Test
	void newWhenTheDirectoryIsMissingThenStartFailsNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(
					() -> sinks(new SinkProperties.Sink("fraud-scoring", this.directory.resolve("missing/fraud.token"),
							SinkFormat.TOKEN, "0440", SinkProperties.OnUnusable.REMOVE)))
			.withMessageStartingWith("broker.sinks.sink-0.path: its directory ");
	}

	@Test
	void bindWhenTheModeIsBadThenTheMessageSaysWhy() {
		assertThat(badMode("288")).contains("quoted octal mode", "288");
		assertThat(badMode("440")).contains("quoted octal mode");
		assertThat(badMode("0x1")).contains("quoted octal mode");
		assertThat(badMode("0460")).contains("must not let the group or others write");
		assertThat(badMode("0442")).contains("must not let the group or others write");
		assertThat(SinkProperties.permissions("p", "0600")).isEqualTo(PosixFilePermissions.fromString("rw-------"));
		assertThat(SinkProperties.permissions("p", "0444")).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));
	}

	private String badMode(String mode) {
		return assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(
					() -> new SinkProperties(Map.of("a",
							new SinkProperties.Sink("fraud-scoring", this.directory.resolve("f"), SinkFormat.TOKEN,
									mode, SinkProperties.OnUnusable.REMOVE))))
			.actual()
			.getMessage();
	}

	@Test
	void bindWhenPathsAreRelativeOrSharedThenStartFails() {
		assertThatExceptionOfType(InvalidConfigurationException.class)
			.isThrownBy(() -> new SinkProperties(Map.of("a",
					new SinkProperties.Sink("fraud-scoring", Path.of("relative/f"), SinkFormat.TOKEN, "0440",
							SinkProperties.OnUnusable.REMOVE))))
			.withMessageStartingWith("broker.sinks.a.path: must be an absolute");
		Map<String, SinkProperties.Sink> shared = new java.util.LinkedHashMap<>();
		shared.put("a", sink("f", SinkFormat.TOKEN, SinkProperties.OnUnusable.REMOVE));
		shared.put("b", sink("f", SinkFormat.JSON, SinkProperties.OnUnusable.REMOVE));
		assertThatExceptionOfType(InvalidConfigurationException.class).isThrownBy(() -> new SinkProperties(shared))
			.withMessageStartingWith("broker.sinks.b.path: is also the path of sink 'a'");
	}

}
