package com.acme.tokenbroker.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Python and shell client examples of {@code docs/clients/} read {@code Retry-After}
 * in both of its forms (RFC 9110, section 10.2.3): delta seconds and an HTTP date. The
 * broker sends seconds, which {@code ClientExamplesIntegrationTests} covers; a proxy in
 * front of it may send a date.
 */
class ClientExamplesRetryAfterTests {

	private static String httpDateIn(long seconds) {
		return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plusSeconds(seconds).atOffset(ZoneOffset.UTC));
	}

	private static String run(String... command) throws IOException, InterruptedException {
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
		Process process = builder.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		return output;
	}

	private static List<Double> python(String... values) throws IOException, InterruptedException {
		String script = "import sys, time; sys.path.insert(0, 'docs/clients'); import token_client; "
				+ "print(' '.join(str(token_client.retry_after_seconds(v, time.time())) for v in sys.argv[1:]))";
		String[] command = new String[values.length + 3];
		command[0] = "python3";
		command[1] = "-c";
		command[2] = script;
		System.arraycopy(values, 0, command, 3, values.length);
		return List.of(run(command).split(" ")).stream().map(Double::valueOf).toList();
	}

	private static List<Long> shell(String... values) throws IOException, InterruptedException {
		String script = "source docs/clients/token-client.sh; for v in \"$@\"; do broker_retry_after \"$v\"; done";
		String[] command = new String[values.length + 4];
		command[0] = "bash";
		command[1] = "-c";
		command[2] = script;
		command[3] = "bash";
		System.arraycopy(values, 0, command, 4, values.length);
		return run(command).lines().map(Long::valueOf).toList();
	}

	@Test
	void thePythonExampleReadsSecondsAndHttpDates() throws Exception {
		List<Double> delays = python("7", httpDateIn(20), httpDateIn(-20), "", "soon");

		assertThat(delays.get(0)).isEqualTo(7.0);
		assertThat(delays.get(1)).isBetween(17.0, 20.0);
		assertThat(delays.get(2)).as("a date past").isZero();
		assertThat(delays.subList(3, 5)).as("missing or unreadable: the default").containsOnly(5.0);
	}

	@Test
	void theShellExampleReadsSecondsAndHttpDates() throws Exception {
		List<Long> delays = shell(" 7", httpDateIn(20), httpDateIn(-20), "", "soon");

		assertThat(delays.get(0)).isEqualTo(7);
		assertThat(delays.get(1)).isBetween(17L, 20L);
		assertThat(delays.get(2)).as("a date past").isZero();
		assertThat(delays.subList(3, 5)).as("missing or unreadable: the default").containsOnly(5L);
	}

}
