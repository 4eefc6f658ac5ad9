package com.acme.tokenbroker.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Issue 15, item 2: the request id and trace a request logs with, and what it leaves on
 * Tomcat's pooled thread afterwards (nothing).
 */
class RequestContextValveTests {

	static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

	private final RequestContextValve valve = new RequestContextValve();

	private final Seen seen = new Seen();

	private final org.apache.coyote.Request coyoteRequest = new org.apache.coyote.Request();

	private final org.apache.coyote.Response coyoteResponse = new org.apache.coyote.Response();

	@AfterEach
	void clear() {
		MDC.clear();
	}

	@Test
	void invokeWhenNoHeadersThenMakesARequestIdATraceAndASpanAndAnswersTheRequestId() throws Exception {
		invoke();

		assertThat(this.seen.context.get("http.request.id")).matches("[0-9a-f]{32}");
		assertThat(this.seen.context.get("trace.id")).matches("[0-9a-f]{32}");
		assertThat(this.seen.context.get("span.id")).matches("[0-9a-f]{16}");
		assertThat(responseHeader()).isEqualTo(this.seen.context.get("http.request.id"));
		assertThat(this.coyoteResponse.getMimeHeaders().size()).as("one header, the request id").isEqualTo(1);
	}

	@Test
	void invokeWhenCalledTwiceThenEachRequestGetsItsOwnIds() throws Exception {
		invoke();
		Map<String, String> first = this.seen.context;
		this.coyoteResponse.recycle();
		invoke();

		assertThat(this.seen.context.get("http.request.id")).isNotEqualTo(first.get("http.request.id"));
		assertThat(this.seen.context.get("trace.id")).isNotEqualTo(first.get("trace.id"));
		assertThat(this.seen.context.get("span.id")).isNotEqualTo(first.get("span.id"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "42", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "req_1.2:3+4/5=",
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" })
	void invokeWhenTheCallerSendsAValidRequestIdThenItIsKeptAndEchoed(String requestId) throws Exception {
		this.coyoteRequest.getMimeHeaders().addValue("X-Request-Id").setString(requestId);

		invoke();

		assertThat(this.seen.context.get("http.request.id")).isEqualTo(requestId);
		assertThat(responseHeader()).isEqualTo(requestId);
	}

	@Test
	void invokeWhenTheRequestIdArrivesAsBytesThenItIsKept() throws Exception {
		byte[] received = "GET / HTTP/1.1 x-request-id: abc-123".getBytes(StandardCharsets.ISO_8859_1);
		this.coyoteRequest.getMimeHeaders().addValue("x-request-id").setBytes(received, 29, 7);

		invoke();

		assertThat(this.seen.context.get("http.request.id")).isEqualTo("abc-123");
		assertThat(responseHeader()).isEqualTo("abc-123");
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "two words", "a;b", "quote\"", "naïve", "<script>", "id\r\n12:00 ERROR forged",
			"id\nforged", "tab\tid", "back\\slash", "{\"json\":1}",
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" })
	void invokeWhenTheRequestIdIsEmptyTooLongOrHasOtherCharactersThenANewOneIsMade(String requestId) throws Exception {
		this.coyoteRequest.getMimeHeaders().addValue("X-Request-Id").setString(requestId);

		invoke();

		assertThat(this.seen.context.get("http.request.id")).matches("[0-9a-f]{32}");
		assertThat(responseHeader()).isEqualTo(this.seen.context.get("http.request.id"));
	}

	@Test
	void invokeWhenAValidTraceparentThenItsTraceIsContinuedWithANewSpan() throws Exception {
		this.coyoteRequest.getMimeHeaders().addValue("traceparent").setString(TRACEPARENT);

		invoke();

		assertThat(this.seen.context.get("trace.id")).isEqualTo(TRACE_ID);
		assertThat(this.seen.context.get("span.id")).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7");
	}

	@Test
	void invokeWhenALaterVersionAppendsFieldsThenItsTraceIsContinued() throws Exception {
		byte[] received = ("cc-" + TRACE_ID + "-00f067aa0ba902b7-01-what-comes-next")
			.getBytes(StandardCharsets.ISO_8859_1);
		this.coyoteRequest.getMimeHeaders().addValue("Traceparent").setBytes(received, 0, received.length);

		invoke();

		assertThat(this.seen.context.get("trace.id")).isEqualTo(TRACE_ID);
	}

	/** W3C Trace Context, section 3.2: each of these starts a new trace. */
	@ParameterizedTest
	@ValueSource(strings = { "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
			"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
			"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
			"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
			"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
			"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
			"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
			"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
			"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z" })
	void invokeWhenTheTraceparentIsInvalidThenANewTraceStarts(String traceparent) throws Exception {
		this.coyoteRequest.getMimeHeaders().addValue("traceparent").setString(traceparent);

		invoke();

		assertThat(this.seen.context.get("trace.id")).matches("[0-9a-f]{32}")
			.isNotEqualTo(TRACE_ID)
			.isNotEqualTo("00000000000000000000000000000000");
	}

	@Test
	void invokeWhenTwoTraceparentHeadersThenANewTraceStarts() throws Exception {
		this.coyoteRequest.getMimeHeaders().addValue("traceparent").setString(TRACEPARENT);
		this.coyoteRequest.getMimeHeaders().addValue("traceparent").setString(TRACEPARENT);

		invoke();

		assertThat(this.seen.context.get("trace.id")).isNotEqualTo(TRACE_ID);
	}

	/** Tomcat's threads are pooled: the next request on this thread starts clean. */
	@Test
	void invokeWhenTheRequestEndsThenTheThreadsLoggingContextIsAsBefore() throws Exception {
		MDC.put("unrelated", "kept");

		invoke();

		assertThat(this.seen.context).containsKeys("http.request.id", "trace.id", "span.id", "unrelated");
		assertThat(MDC.getCopyOfContextMap()).isEqualTo(Map.of("unrelated", "kept"));
	}

	@Test
	void invokeWhenTheRequestFailsThenTheThreadsLoggingContextIsClearedToo() {
		this.seen.failure = new IllegalStateException("failed");

		assertThatIllegalStateException().isThrownBy(this::invoke);

		assertThat(this.seen.context).containsKey("http.request.id");
		Map<String, String> left = MDC.getCopyOfContextMap();
		assertThat((left != null) ? left : Map.of()).isEmpty();
	}

	private void invoke() throws IOException, ServletException {
		Request request = new Request(new Connector(), this.coyoteRequest);
		Response response = new Response(this.coyoteResponse);
		response.setRequest(request);
		this.valve.setNext(this.seen);
		this.valve.invoke(request, response);
	}

	private String responseHeader() {
		List<String> values = java.util.Collections.list(this.coyoteResponse.getMimeHeaders().values("X-Request-Id"));
		assertThat(values).hasSize(1);
		return values.get(0);
	}

	/** The next valve: what the request logged with. */
	static final class Seen extends ValveBase {

		Map<String, String> context = new HashMap<>();

		RuntimeException failure;

		@Override
		public void invoke(Request request, Response response) {
			this.context = MDC.getCopyOfContextMap();
			if (this.failure != null) {
				throw this.failure;
			}
		}

	}

}
