package com.acme.tokenbroker.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real forward proxy on loopback: Debian's {@code tinyproxy}, started by the test with
 * a configuration of its own (a free port on 127.0.0.1, every CONNECT port allowed, each
 * connection and request logged) and, for {@link #withBasicAuth}, Basic authentication.
 * Its log tells which hosts the broker tunnelled to ({@link #connects()}).
 */
public final class TestTinyproxy implements AutoCloseable {

	/** {@code true} turns a missing tinyproxy into a failure ({@code .ci/run}). */
	public static final String REQUIRED = "TOKEN_BROKER_TEST_TINYPROXY_REQUIRED";

	private static final Pattern CONNECT = Pattern.compile("Request \\(file descriptor \\d+\\): CONNECT (\\S+) ");

	private final Path directory;

	private final Process process;

	private final int port;

	private TestTinyproxy(Path directory, Process process, int port) {
		this.directory = directory;
		this.process = process;
		this.port = port;
	}

	/**
	 * @return the tinyproxy binary, or {@code null} where none is installed
	 */
	static Path binary() {
		List<String> directories = new ArrayList<>();
		String path = System.getenv("PATH");
		if (path != null) {
			directories.addAll(List.of(path.split(File.pathSeparator)));
		}
		directories.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin"));
		return directories.stream()
			.filter((directory) -> !directory.isBlank())
			.map((directory) -> Path.of(directory, "tinyproxy"))
			.filter(Files::isExecutable)
			.findFirst()
			.orElse(null);
	}

	static String unusableBecause() {
		return (binary() != null) ? null : "no tinyproxy binary on PATH or in /usr/bin, /usr/sbin";
	}

	/**
	 * @return a started proxy that lets any loopback client through
	 */
	public static TestTinyproxy open() {
		return start(null, null);
	}

	/**
	 * A started proxy that answers 407 unless the request carries these credentials.
	 * @param username the user
	 * @param password the password, recorded as a secret the run's log must not show
	 * @return the proxy
	 */
	public static TestTinyproxy withBasicAuth(String username, String password) {
		SecretLedger.record(password);
		return start(username, password);
	}

	/**
	 * @return a password of 24 letters and digits (what tinyproxy's config can hold)
	 */
	public static String newPassword() {
		String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
		SecureRandom random = new SecureRandom();
		StringBuilder password = new StringBuilder();
		for (int i = 0; i < 24; i++) {
			password.append(alphabet.charAt(random.nextInt(alphabet.length())));
		}
		return password.toString();
	}

	private static TestTinyproxy start(String username, String password) {
		Path binary = binary();
		if (binary == null) {
			throw new IllegalStateException(unusableBecause());
		}
		try {
			Path directory = Files.createTempDirectory("tinyproxy");
			IOException last = null;
			// a free port can be taken between the probe and tinyproxy's bind: try again
			for (int attempt = 0; attempt < 5; attempt++) {
				int port = freePort();
				Path config = directory.resolve("tinyproxy.conf");
				StringBuilder text = new StringBuilder();
				text.append("Port ").append(port).append('\n');
				text.append("Listen 127.0.0.1\n");
				text.append("Timeout 60\n");
				text.append("MaxClients 100\n");
				text.append("Allow 127.0.0.1\n");
				text.append("DisableViaHeader Yes\n");
				text.append("LogFile \"").append(directory.resolve("tinyproxy.log")).append("\"\n");
				text.append("LogLevel Connect\n");
				if (username != null) {
					text.append("BasicAuth ").append(username).append(' ').append(password).append('\n');
				}
				Files.writeString(config, text, StandardCharsets.UTF_8);
				Process process = new ProcessBuilder(binary.toString(), "-d", "-c", config.toString())
					.redirectErrorStream(true)
					.redirectOutput(directory.resolve("stdout.txt").toFile())
					.start();
				TestTinyproxy proxy = new TestTinyproxy(directory, process, port);
				try {
					await().atMost(Duration.ofSeconds(10))
						.pollInterval(Duration.ofMillis(50))
						.until(() -> !process.isAlive() || accepts(port));
				}
				catch (RuntimeException ex) {
					proxy.close();
					throw ex;
				}
				if (process.isAlive()) {
					return proxy;
				}
				last = new IOException("tinyproxy exited at start: " + proxy.read("stdout.txt"));
			}
			throw last;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	private static boolean accepts(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	public int port() {
		return this.port;
	}

	/**
	 * @return {@code http://127.0.0.1:port}
	 */
	public URI url() {
		return URI.create("http://127.0.0.1:" + this.port);
	}

	/**
	 * @return the log so far
	 */
	public String log() {
		return read("tinyproxy.log");
	}

	/**
	 * @return the target ({@code host:port}) of every CONNECT request received so far,
	 * answered or refused
	 */
	public List<String> connects() {
		List<String> targets = new ArrayList<>();
		Matcher matcher = CONNECT.matcher(log());
		while (matcher.find()) {
			targets.add(matcher.group(1));
		}
		return targets;
	}

	private String read(String name) {
		Path file = this.directory.resolve(name);
		try {
			return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public void close() {
		this.process.destroy();
		try {
			if (!this.process.waitFor(5, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		try (Stream<Path> files = Files.walk(this.directory)) {
			files.sorted(Comparator.reverseOrder()).forEach((file) -> file.toFile().delete());
		}
		catch (IOException ex) {
			// a temporary directory left behind is harmless
		}
	}

}
