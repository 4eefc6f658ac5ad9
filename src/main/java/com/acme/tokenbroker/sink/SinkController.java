package com.acme.tokenbroker.sink;

import java.util.List;
import java.util.Locale;

import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import com.acme.tokenbroker.token.AnswerTimes;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /admin/sinks}: the state of each file sink whose service the caller
 * administers ({@code broker.access.admin-rules}); other sinks are left out, as if they
 * did not exist. Never a credential.
 */
@RestController
class SinkController {

	private final FileSinks sinks;

	private final AccessPolicy accessPolicy;

	SinkController(FileSinks sinks, AccessPolicy accessPolicy) {
		this.sinks = sinks;
		this.accessPolicy = accessPolicy;
	}

	@GetMapping(path = "/admin/sinks", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<List<SinkView>> sinks(@AuthenticationPrincipal Jwt jwt) {
		Caller caller = Caller.from(jwt);
		FileSinks.Syncing stalled = this.sinks.stalled();
		List<SinkView> views = this.sinks.sinks()
			.stream()
			.filter((sink) -> this.accessPolicy.isAdmin(caller, sink.service()))
			.map((sink) -> SinkView.of(sink, stalled))
			.toList();
		return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(views);
	}

	/**
	 * One sink's state.
	 *
	 * @param name the sink's name
	 * @param service its service
	 * @param path its file
	 * @param format {@code token}, {@code json} or {@code env}
	 * @param state {@code pending}, {@code written}, {@code cleared} or {@code failing};
	 * {@code stalled} while its update has not returned for 30 s (as the {@code sinks}
	 * health component says)
	 * @param since when it entered its last update's state (a failure: when that error
	 * first occurred)
	 * @param stalledSince when the stalled update began, when it is {@code stalled}
	 * @param lastError the failing update's error, without the credential
	 * @param consecutiveFailures failed updates in a row
	 */
	record SinkView(String name, String service, String path, String format, String state, String since,
			String stalledSince, String lastError, int consecutiveFailures) {

		/**
		 * @param sink a sink
		 * @param stalled the stalled update, if any ({@link FileSinks#stalled()})
		 * @return the sink's view
		 */
		static SinkView of(FileSink sink, FileSinks.Syncing stalled) {
			return new SinkView(sink.name(), sink.service().value(), sink.path().toString(),
					sink.format().name().toLowerCase(Locale.ROOT), FileSinks.stateOf(sink, stalled),
					AnswerTimes.iso(sink.changedAt()),
					FileSinks.isStalled(sink, stalled) ? AnswerTimes.iso(stalled.since()) : null, sink.lastError(),
					sink.consecutiveFailures());
		}

	}

}
