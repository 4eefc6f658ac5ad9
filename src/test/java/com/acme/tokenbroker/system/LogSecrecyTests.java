package com.acme.tokenbroker.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.tokenbroker.support.SecretLedger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs last (class order): searches the log of the whole test run for every secret the
 * simulated workspaces issued (client secrets, Entra tokens, service tokens, caller
 * tokens, service-account tokens) and for anything shaped like a signed JWT.
 */
@Order(Integer.MAX_VALUE)
class LogSecrecyTests {

	private static final Path RUN_LOG = Path.of("target", "test-logs", "test-run.log");

	/**
	 * Three base64url segments starting with a JSON header: a JWT, wherever it came from.
	 */
	private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");

	@Test
	void theWholeRunLogsNoIssuedSecretAndNoJwt() throws IOException {
		assertThat(RUN_LOG).exists();
		String log = Files.readString(RUN_LOG, StandardCharsets.UTF_8);
		assertThat(log).as("the run log has content").contains("token");
		assertThat(SecretLedger.secrets()).as("the simulated workspaces issued secrets during the run").isNotEmpty();

		List<String> leaked = new ArrayList<>();
		for (String secret : SecretLedger.secrets()) {
			if (log.contains(secret)) {
				leaked.add(secret.substring(0, Math.min(6, secret.length())) + "…");
			}
		}
		Matcher jwt = JWT.matcher(log);
		List<String> jwts = new ArrayList<>();
		while (jwt.find()) {
			jwts.add(jwt.group().substring(0, 12) + "…");
		}

		assertThat(leaked).as("issued secrets found in the log").isEmpty();
		assertThat(jwts).as("JWT-shaped strings found in the log").isEmpty();
	}

}
