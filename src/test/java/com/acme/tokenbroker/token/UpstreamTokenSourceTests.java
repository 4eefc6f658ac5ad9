package com.acme.tokenbroker.token;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.SecretLedger;
import com.acme.tokenbroker.support.TestCatalog;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeys;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import com.acme.tokenbroker.upstream.ServiceMetadata;
import com.acme.tokenbroker.upstream.ServiceMetadataClient;
import com.acme.tokenbroker.upstream.UpstreamException;
import com.acme.tokenbroker.upstream.UpstreamToken;
import com.acme.tokenbroker.upstream.UpstreamTokenClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Issue 12, item 7: the upstream refusing the credential the broker asked for (a 400 or
 * 401 from the token or {@code listKeys} call: the service no longer uses that mode)
 * triggers one metadata re-read at once, well before {@code metadata-refresh}, and the
 * fetch in the mode it finds; bounded by {@code min-refresh-interval}.
 */
class UpstreamTokenSourceTests {

	static {
		SecretLedger.record(ScriptedClient.PRIMARY);
	}

	private static final Duration METADATA_REFRESH = Duration.ofMinutes(10);

	private static final Duration MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);

	private final MutableClock clock = MutableClock.startingAt("2026-12-02T10:00:00Z");

	private final ScriptedClient client = new ScriptedClient();

	private final ServiceDescriptor service = TestCatalog.withServices("svc").services().iterator().next();

	private final UpstreamTokenSource source = new UpstreamTokenSource(this.client, this.client, this.client, null,
			null, (service) -> KeySlot.PRIMARY,
			new RefreshPolicy(
					new TokenProperties(Duration.ofMinutes(5), Duration.ofMinutes(5), MIN_REFRESH_INTERVAL,
							Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5), false, 100,
							Duration.ofSeconds(1), 4, Duration.ofHours(24), Duration.ofMinutes(10)),
					new CredentialProperties(METADATA_REFRESH, Duration.ofMinutes(5), Duration.ofHours(24),
							KeySlot.PRIMARY),
					RandomGenerator.of("L64X128MixRandom")),
			this.clock);

	@Test
	void loadWhenListKeysRefusedAfterASwitchToTokensThenReReadsMetadataAndFetchesATokenAtOnce() {
		assertThat(this.service.authMode()).isEqualTo(AuthMode.AUTO);
		this.client.mode = AuthMode.KEY;
		assertThat(this.source.load(this.service, null).credentialType()).isEqualTo("key");

		this.client.mode = AuthMode.AML_TOKEN;
		this.clock.advance(Duration.ofMinutes(5));
		BrokeredToken after = this.source.load(this.service, null);

		assertThat(after.credentialType()).isEqualTo("aml_token");
		assertThat(this.client.describes.get()).as("one re-read, before metadata-refresh").isEqualTo(2);
		assertThat(this.client.listKeys.get()).isEqualTo(2);
		assertThat(this.client.tokens.get()).isEqualTo(1);
	}

	@Test
	void loadWhenTheTokenCallAnswers401AfterASwitchToKeysThenReReadsMetadataAndReadsTheKeysAtOnce() {
		this.client.mode = AuthMode.AML_TOKEN;
		this.source.load(this.service, null);

		this.client.mode = AuthMode.KEY;
		this.client.wrongModeStatus = 401;
		this.clock.advance(Duration.ofMinutes(1));
		BrokeredToken after = this.source.load(this.service, null);

		assertThat(after.credentialType()).isEqualTo("key");
		assertThat(after.value()).isEqualTo(ScriptedClient.PRIMARY);
		assertThat(this.client.describes.get()).isEqualTo(2);
	}

	@Test
	void loadWhenRefusedTwiceWithinMinRefreshIntervalThenMetadataIsReReadOnce() {
		loadAsAmlTokenThenAMinuteLater(() -> this.client.refuseEveryMode = true);

		assertThatExceptionOfType(UpstreamException.class).isThrownBy(() -> this.source.load(this.service, null));
		this.clock.advance(MIN_REFRESH_INTERVAL.minusSeconds(1));
		assertThatExceptionOfType(UpstreamException.class).isThrownBy(() -> this.source.load(this.service, null));
		assertThat(this.client.describes.get()).as("first read and one forced re-read").isEqualTo(2);

		this.clock.advance(Duration.ofSeconds(1));
		assertThatExceptionOfType(UpstreamException.class).isThrownBy(() -> this.source.load(this.service, null));
		assertThat(this.client.describes.get()).as("a refusal after min-refresh-interval re-reads again").isEqualTo(3);
	}

	@Test
	void loadWhenTheBrokersPrincipalIsForbiddenThenMetadataIsNotReRead() {
		loadAsAmlTokenThenAMinuteLater(() -> this.client.forbidden = true);

		assertThatExceptionOfType(UpstreamException.class).isThrownBy(() -> this.source.load(this.service, null))
			.satisfies((ex) -> assertThat(ex.getKind()).isEqualTo(UpstreamException.Kind.REJECTED_PRINCIPAL));
		assertThat(this.client.describes.get()).as("a 403 is a missing role, not a mode switch").isEqualTo(1);
	}

	/**
	 * One load of an {@code aml_token} service, then the client changes and a minute
	 * passes.
	 */
	private void loadAsAmlTokenThenAMinuteLater(Runnable change) {
		this.client.mode = AuthMode.AML_TOKEN;
		this.source.load(this.service, null);
		change.run();
		this.clock.advance(Duration.ofMinutes(1));
	}

	/**
	 * A service whose auth mode the test switches; calls of the other modes are refused
	 * as Azure ML does.
	 */
	private final class ScriptedClient implements UpstreamTokenClient, ServiceMetadataClient, ServiceKeysClient {

		static final String PRIMARY = "primary-key-of-the-scripted-service";

		final AtomicInteger describes = new AtomicInteger();

		final AtomicInteger tokens = new AtomicInteger();

		final AtomicInteger listKeys = new AtomicInteger();

		volatile AuthMode mode = AuthMode.AML_TOKEN;

		volatile int wrongModeStatus = 400;

		volatile boolean refuseEveryMode;

		volatile boolean forbidden;

		@Override
		public UpstreamToken fetch(ServiceDescriptor service) {
			this.tokens.incrementAndGet();
			refuseUnless(AuthMode.AML_TOKEN);
			Instant now = UpstreamTokenSourceTests.this.clock.instant();
			return new UpstreamToken("aml-token-" + this.tokens.get(), "Bearer", now.plus(Duration.ofMinutes(30)),
					now.plus(Duration.ofHours(12)));
		}

		@Override
		public ServiceMetadata describe(ServiceDescriptor service) {
			this.describes.incrementAndGet();
			return new ServiceMetadata(this.mode, "https://svc.example/score");
		}

		@Override
		public ServiceKeys listKeys(ServiceDescriptor service) {
			this.listKeys.incrementAndGet();
			refuseUnless(AuthMode.KEY);
			return new ServiceKeys(PRIMARY, "secondary-key-of-the-scripted-service");
		}

		@Override
		public void regenerateKey(ServiceDescriptor service, KeySlot slot) {
			throw new UnsupportedOperationException();
		}

		private void refuseUnless(AuthMode needed) {
			if (this.forbidden) {
				throw new UpstreamException(UpstreamException.Kind.REJECTED_PRINCIPAL, 403, null, "forbidden");
			}
			if (this.refuseEveryMode || this.mode != needed) {
				int status = this.wrongModeStatus;
				throw new UpstreamException((status == 401) ? UpstreamException.Kind.REJECTED_PRINCIPAL
						: UpstreamException.Kind.REJECTED_REQUEST, status, null, "wrong auth mode");
			}
		}

	}

}
