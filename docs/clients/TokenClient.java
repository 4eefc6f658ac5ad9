import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.client.RestClient;

/**
 * A token-broker caller with Spring's {@code RestClient} (docs/clients.md). It reads the
 * caller's own token from a file on each fetch (a projected service-account token, which
 * the kubelet rotates), keeps each service's answer until its {@code refreshBy} (not
 * {@code expiresAt}: the broker refreshes ahead of it), lets one thread fetch while the
 * others asking for the same service wait for its answer, waits the broker's
 * {@code Retry-After} on 503 or 429 within a bound, fails clearly on 401 and 403, and never
 * prints a token.
 */
public class TokenClient {

	private final RestClient broker;

	private final Path callerTokenFile;

	private final Duration maxWait;

	private final Clock clock;

	private final Map<String, Slot> slots = new ConcurrentHashMap<>();

	public TokenClient(RestClient.Builder builder, String brokerUrl, Path callerTokenFile, Duration maxWait,
			Clock clock) {
		this.broker = builder.baseUrl(brokerUrl).build();
		this.callerTokenFile = callerTokenFile;
		this.maxWait = maxWait;
		this.clock = clock;
	}

	/**
	 * The broker's answer for a service, from this client's cache until its refreshBy.
	 * @param service the service's name
	 * @return the credential
	 * @throws BrokerException if the broker refuses, or has no token within the bound
	 */
	public Credential credential(String service) {
		Slot slot = this.slots.computeIfAbsent(service, (name) -> new Slot());
		Credential cached = slot.credential;
		if (cached != null && this.clock.instant().isBefore(cached.refreshBy())) {
			return cached;
		}
		slot.lock.lock();
		try {
			cached = slot.credential;
			if (cached != null && this.clock.instant().isBefore(cached.refreshBy())) {
				return cached; // another thread fetched it while this one waited
			}
			slot.credential = fetch(service);
			return slot.credential;
		}
		finally {
			slot.lock.unlock();
		}
	}

	/**
	 * The scoring call, with the credential as a bearer: every credential type
	 * ({@code aml_token}, {@code key}, {@code aad_token}) is one.
	 * @param service the service's name
	 * @param payload the scoring request
	 * @return the scoring answer
	 */
	public String score(String service, Object payload) {
		Credential credential = credential(service);
		return RestClient.create()
			.post()
			.uri(credential.scoringUri())
			.header(HttpHeaders.AUTHORIZATION, credential.authorization())
			.contentType(MediaType.APPLICATION_JSON)
			.body(payload)
			.retrieve()
			.body(String.class);
	}

	private Credential fetch(String service) {
		Duration waited = Duration.ZERO;
		while (true) {
			Answer answer = this.broker.get()
				.uri("/tokens/{service}", service)
				.header(HttpHeaders.AUTHORIZATION, "Bearer " + readCallerToken())
				.accept(MediaType.APPLICATION_JSON)
				.exchange((request, response) -> {
					int status = response.getStatusCode().value();
					if (status == 200) {
						return new Answer(response.bodyTo(Credential.class), null, null);
					}
					Problem problem = response.getHeaders().getContentType() != null
							&& response.getHeaders().getContentType().getSubtype().contains("json")
									? response.bodyTo(Problem.class) : null;
					String detail = service + ": " + status + " from the broker"
							+ ((problem != null && problem.detail() != null) ? ": " + problem.detail() : "");
					if (status != 503 && status != 429) {
						throw new BrokerException(detail);
					}
					return new Answer(null, detail, retryAfter(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)));
				});
			if (answer.credential() != null) {
				return answer.credential();
			}
			if (waited.plus(answer.retryAfter()).compareTo(this.maxWait) > 0) {
				throw new BrokerException(answer.detail() + "; retry after " + answer.retryAfter().toSeconds()
						+ " s, beyond this caller's bound of " + this.maxWait.toSeconds() + " s");
			}
			System.err.println(answer.detail() + "; retrying in " + answer.retryAfter().toSeconds()
					+ " s as Retry-After asks");
			sleep(answer.retryAfter());
			waited = waited.plus(answer.retryAfter());
		}
	}

	private String readCallerToken() {
		try {
			// read on each fetch: the kubelet rotates a projected service-account token
			return Files.readString(this.callerTokenFile, StandardCharsets.US_ASCII).strip();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot read the caller token file " + this.callerTokenFile, ex);
		}
	}

	/** Retry-After as delta seconds or an HTTP date (RFC 9110, section 10.2.3). */
	Duration retryAfter(String value) {
		if (value == null || value.isBlank()) {
			return Duration.ofSeconds(5);
		}
		try {
			return Duration.ofSeconds(Long.parseLong(value.strip()));
		}
		catch (NumberFormatException ex) {
			try {
				Instant at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
				Duration delay = Duration.between(this.clock.instant(), at);
				return delay.isNegative() ? Duration.ZERO : delay;
			}
			catch (DateTimeParseException notADate) {
				return Duration.ofSeconds(5);
			}
		}
	}

	private static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new BrokerException("interrupted while waiting for the broker");
		}
	}

	/**
	 * What may be printed of a token: its length and the start of its SHA-256.
	 * @param secret the token
	 * @return the fingerprint
	 */
	public static String fingerprint(String secret) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
			return secret.length() + " chars, sha256:" + HexFormat.of().formatHex(digest).substring(0, 12);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Asks for a service's credential from several threads at once and prints what may be
	 * printed: {@code TokenClient <service> [threads]}, with the broker's URL and the caller
	 * token's file in {@code TOKEN_BROKER_URL} and {@code TOKEN_BROKER_CALLER_TOKEN_FILE}
	 * (as the Helm chart sets them in a sidecar pod's app containers).
	 * @param args the arguments
	 * @throws Exception if a call fails
	 */
	public static void main(String[] args) throws Exception {
		String brokerUrl = System.getenv().getOrDefault("TOKEN_BROKER_URL", "http://127.0.0.1:8080");
		Path callerTokenFile = Path.of(System.getenv()
			.getOrDefault("TOKEN_BROKER_CALLER_TOKEN_FILE", "/var/run/secrets/token-broker/caller/token"));
		TokenClient client = new TokenClient(RestClient.builder(), brokerUrl, callerTokenFile, Duration.ofSeconds(30),
				Clock.systemUTC());
		int threads = (args.length > 1) ? Integer.parseInt(args[1]) : 1;
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			List<Future<Credential>> calls = new ArrayList<>();
			for (int i = 0; i < threads; i++) {
				calls.add(executor.submit(() -> client.credential(args[0])));
			}
			for (Future<Credential> call : calls) {
				System.out.println(call.get());
			}
		}
		finally {
			executor.shutdown();
		}
	}

	/** The broker's answer; {@link #toString()} shows no token. */
	@JsonIgnoreProperties(ignoreUnknown = true)
	public record Credential(String service, String tokenType, String accessToken, Instant expiresAt,
			Instant refreshBy, Instant fetchedAt, boolean stale, String credentialType, String scoringUri) {

		/** @return the scoring call's Authorization header value */
		public String authorization() {
			return "Bearer " + this.accessToken;
		}

		@Override
		public String toString() {
			return this.service + ": " + this.credentialType + " " + fingerprint(this.accessToken) + ", refreshBy "
					+ this.refreshBy + ", expiresAt " + this.expiresAt + ", stale " + this.stale;
		}

	}

	/** The broker's refusal or failure, with the problem's detail (never a token). */
	public static class BrokerException extends RuntimeException {

		BrokerException(String message) {
			super(message);
		}

	}

	@JsonIgnoreProperties(ignoreUnknown = true)
	record Problem(String type, String title, int status, String detail) {
	}

	private record Answer(Credential credential, String detail, Duration retryAfter) {
	}

	private static final class Slot {

		final ReentrantLock lock = new ReentrantLock();

		volatile Credential credential;

	}

}
