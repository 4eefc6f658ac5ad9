package com.acme.tokenbroker.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The Redis server of this test run: {@code TOKEN_BROKER_TEST_REDIS_URL}, by default
 * {@code redis://127.0.0.1:6379}.
 */
public final class TestRedis {

	private TestRedis() {
	}

	/** The Redis server of this test run. */
	public static URI url() {
		String url = System.getenv("TOKEN_BROKER_TEST_REDIS_URL");
		return URI.create((url == null || url.isBlank()) ? "redis://127.0.0.1:6379" : url.trim());
	}

	public static boolean required() {
		return "true".equalsIgnoreCase(System.getenv("TOKEN_BROKER_TEST_REDIS_REQUIRED"));
	}

	/**
	 * @return whether a Redis server answers PING at {@link #url()}
	 */
	public static boolean reachable() {
		URI url = url();
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 500);
			socket.setSoTimeout(1000);
			OutputStream out = socket.getOutputStream();
			out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] answer = new byte[7];
			int read = in.readNBytes(answer, 0, answer.length);
			String reply = new String(answer, 0, read, StandardCharsets.US_ASCII);
			return reply.startsWith("+PONG") || reply.startsWith("-NOAUTH");
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * @return a started connection factory to {@link #url()}, for tests that read or
	 * write Redis directly
	 */
	public static LettuceConnectionFactory connect() {
		URI url = url();
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(url.getHost(), url.getPort()));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	/**
	 * Delete a test's keys, so runs sharing one Redis server do not see each other's.
	 * @param redis the connection, {@code null} when the test did not get that far
	 * @param keyPrefix the test's {@code broker.fleet.key-prefix}
	 */
	public static void deleteKeys(StringRedisTemplate redis, String keyPrefix) {
		if (redis == null) {
			return;
		}
		Set<String> keys = redis.keys(keyPrefix + ":*");
		if (keys != null && !keys.isEmpty()) {
			redis.delete(keys);
		}
	}

	/**
	 * @return a fleet encryption key (base64 of 32 random bytes), recorded as a secret
	 * the run's log must not show
	 */
	public static String newEncryptionKey() {
		byte[] key = new byte[32];
		new SecureRandom().nextBytes(key);
		String encoded = Base64.getEncoder().encodeToString(key);
		SecretLedger.record(encoded);
		return encoded;
	}

}
