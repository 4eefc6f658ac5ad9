package com.acme.tokenbroker.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/clients.md} quotes the client examples of {@code docs/clients/}, which
 * {@code ClientExamplesIntegrationTests} runs: each quoted block, marked
 * {@code <!-- excerpt: clients/<file> -->}, must be a verbatim part of that file, so the
 * page shows the code that is tested.
 */
class ClientExamplesDocTests {

	private static final Path DOCS = Path.of("docs");

	private static final Pattern EXCERPT = Pattern
		.compile("<!-- excerpt: (clients/[^ ]+) -->\\n```[a-z]*\\n(.*?)```\\n", Pattern.DOTALL);

	@Test
	void everyExcerptOfTheClientsPageIsPartOfItsFile() throws IOException {
		String page = Files.readString(DOCS.resolve("clients.md"));
		Matcher excerpts = EXCERPT.matcher(page);
		List<String> quoted = new ArrayList<>();
		while (excerpts.find()) {
			String file = Files.readString(DOCS.resolve(excerpts.group(1)));
			assertThat(file).as("the excerpt of %s in clients.md", excerpts.group(1)).contains(excerpts.group(2));
			quoted.add(excerpts.group(1));
		}
		assertThat(quoted).containsExactlyInAnyOrder("clients/TokenClient.java", "clients/token_client.py",
				"clients/token-client.sh");
		assertThat(page.split("<!-- excerpt:", -1)).as("every excerpt marker is followed by a code block")
			.hasSize(quoted.size() + 1);
	}

	@Test
	void thePageLinksEveryExample() throws IOException {
		String page = Files.readString(DOCS.resolve("clients.md"));
		try (var files = Files.list(DOCS.resolve("clients"))) {
			assertThat(files.map((file) -> "(clients/" + file.getFileName() + ")")).allMatch(page::contains);
		}
	}

}
