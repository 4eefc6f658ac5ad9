package com.acme.tokenbroker.it;

import java.time.Duration;
import java.util.List;

import com.acme.tokenbroker.simulator.SimulatedWorkspace;
import com.acme.tokenbroker.support.CallerTokens;
import com.acme.tokenbroker.support.MutableClock;
import com.acme.tokenbroker.support.PassedOnProbe;
import com.acme.tokenbroker.support.RawHttp;
import com.acme.tokenbroker.support.SimulatedWorkspaceTest;
import com.acme.tokenbroker.support.TestWorkspaces;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path on a connector that compresses JSON answers ({@code server.compression},
 * any size): Tomcat decides from the servlet content type, so the fast path writes its
 * answer through the servlet API rather than as bytes through Tomcat's own response, and
 * the answer stays the full chain's, compressed or not, byte for byte (only {@code Date}
 * masked).
 */
@SimulatedWorkspaceTest(properties = { "server.compression.enabled=true", "server.compression.min-response-size=1" })
@Import(PassedOnProbe.class)
class CachedTokenFastPathCompressionIntegrationTests {

	static final MutableClock CLOCK = MutableClock.startingNow();

	static final SimulatedWorkspace SIMULATOR = TestWorkspaces.launch(CLOCK);

	@Autowired
	RawHttp http;

	@Autowired
	PassedOnProbe passedOn;

	@ParameterizedTest
	@ValueSource(strings = { "gzip", "identity" })
	void theFastPathAnswersAsTheFullChain(String acceptEncoding) {
		this.http.send(request(CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1)), acceptEncoding)); // cached
		List<String> request = request(CallerTokens.mint(SIMULATOR, "app", Duration.ofHours(1)), acceptEncoding);
		int before = this.passedOn.get();

		RawHttp.Response full = this.http.send(request); // a token never seen
		int afterFull = this.passedOn.get();
		RawHttp.Response fast = this.http.send(request);

		assertThat(afterFull - before).as("the first request takes the full chain").isEqualTo(1);
		assertThat(this.passedOn.get()).as("the second is answered by the fast path").isEqualTo(afterFull);
		assertThat(fast.status()).isEqualTo(200);
		assertThat(fast.comparable()).isEqualTo(full.comparable());
		assertThat(fast.header("Content-Encoding")).isEqualTo(acceptEncoding.equals("gzip") ? "gzip" : null);
	}

	static List<String> request(String token, String acceptEncoding) {
		return List.of("GET /tokens/v1-weu HTTP/1.1", "Host: localhost", "Accept: application/json",
				"Accept-Encoding: " + acceptEncoding, "Authorization: Bearer " + token);
	}

}
