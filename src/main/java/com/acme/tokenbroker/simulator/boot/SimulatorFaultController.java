package com.acme.tokenbroker.simulator.boot;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.simulator.Fault;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * The simulated workspace's fault switch over HTTP, for a live outage demo (README, "Try
 * an outage"): {@code POST /simulator/regions/{region}/fault} with {@code fault=down},
 * {@code hang}, {@code slow}, {@code throttled}, {@code error} or {@code none} (query or
 * form parameter) puts that fault on the region's listener, and {@code GET
 * /simulator/regions/{region}/fault} and {@code GET /simulator/regions} read what is in
 * force. Each answers the region's fault as JSON.
 * <p>
 * Like {@link SimulatorController} it answers every request as an unmapped path while the
 * simulator is disabled, and is open without a caller token while it is enabled
 * ({@link SimulatorConfiguration}): the simulator only runs off Kubernetes and beside no
 * real setting, its tokens are fake, and switching a fault gives nobody a token, so the
 * switch needs no more protection than the simulator's own loopback ports.
 */
@RestController
class SimulatorFaultController {

	private static final String REGIONS = "/simulator/regions";

	private static final String FAULT = "/simulator/regions/{region}/fault";

	/** The faults a caller may switch on, by their wire name. */
	private static final List<String> KINDS = List.of("down", "hang", "slow", "throttled", "error", "none");

	private static final Duration DEFAULT_DELAY = Duration.ofSeconds(5);

	private static final Duration MAX_DELAY = Duration.ofMinutes(5);

	private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);

	private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

	private static final int DEFAULT_ERROR_STATUS = 503;

	private final SimulatedWorkspace simulator;

	/** Disabled ({@code null} simulator): every request answers as an unmapped path. */
	SimulatorFaultController(ObjectProvider<SimulatedWorkspace> simulator) {
		this.simulator = simulator.getIfAvailable();
	}

	/**
	 * {@code GET /simulator/regions}: the fault in force in every region.
	 * @param request the request
	 * @return {@code {"regions":[{"region":…,"fault":…}, …]}}, regions by name
	 * @throws NoResourceFoundException while the simulator is disabled
	 */
	@GetMapping(path = REGIONS, produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> regions(HttpServletRequest request) throws NoResourceFoundException {
		requireEnabled(request);
		List<Map<String, Object>> regions = this.simulator.regions()
			.stream()
			.sorted()
			.map((region) -> describe(region, this.simulator.faults(region).current()))
			.toList();
		return answer(Map.of("regions", regions));
	}

	/**
	 * {@code GET /simulator/regions/{region}/fault}: the fault in force in one region.
	 * @param request the request
	 * @param region the region
	 * @return the region and its fault
	 * @throws NoResourceFoundException while the simulator is disabled
	 */
	@GetMapping(path = FAULT, produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> fault(HttpServletRequest request, @PathVariable String region)
			throws NoResourceFoundException {
		requireEnabled(request);
		requireKnown(region);
		return answer(describe(region, this.simulator.faults(region).current()));
	}

	/**
	 * {@code POST /simulator/regions/{region}/fault}: put a fault in force in one region,
	 * replacing the previous one.
	 * @param request the request
	 * @param region the region
	 * @param fault one of {@code down}, {@code hang}, {@code slow}, {@code throttled},
	 * {@code error}, {@code none}
	 * @param delaySeconds how long {@code slow} delays each answer (default 5)
	 * @param retryAfterSeconds the {@code Retry-After} of {@code throttled} (default 30)
	 * @param status the status of {@code error} (default 503)
	 * @return the region and its new fault
	 * @throws NoResourceFoundException while the simulator is disabled
	 */
	@PostMapping(path = FAULT, produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> switchFault(HttpServletRequest request, @PathVariable String region,
			@RequestParam(name = "fault", required = false) String fault,
			@RequestParam(name = "delaySeconds", required = false) String delaySeconds,
			@RequestParam(name = "retryAfterSeconds", required = false) String retryAfterSeconds,
			@RequestParam(name = "status", required = false) String status) throws NoResourceFoundException {
		requireEnabled(request);
		requireKnown(region);
		if (fault == null || !KINDS.contains(fault)) {
			throw invalid("Invalid fault", "fault must be one of " + String.join(", ", KINDS));
		}
		requireOnlyWith(fault, "slow", "delaySeconds", delaySeconds);
		requireOnlyWith(fault, "throttled", "retryAfterSeconds", retryAfterSeconds);
		requireOnlyWith(fault, "error", "status", status);
		Fault next = switch (fault) {
			case "down" -> Fault.down();
			case "hang" -> Fault.hang();
			case "slow" -> Fault.slow(seconds("delaySeconds", delaySeconds, DEFAULT_DELAY, MAX_DELAY));
			case "throttled" ->
				Fault.throttled(seconds("retryAfterSeconds", retryAfterSeconds, DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER));
			case "error" -> Fault.error(errorStatus(status));
			default -> Fault.none();
		};
		this.simulator.faults(region).set(next);
		return answer(describe(region, next));
	}

	/**
	 * Any other method on {@code /simulator/regions}: as Spring MVC answers a method a
	 * path does not map while the simulator is enabled, as an unmapped path while it is
	 * disabled (see {@link SimulatorController}).
	 * @param request the request
	 * @return the answer to {@code OPTIONS}
	 * @throws NoResourceFoundException while the simulator is disabled
	 * @throws HttpRequestMethodNotSupportedException otherwise, but for {@code OPTIONS}
	 */
	@RequestMapping(path = REGIONS, method = { RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH,
			RequestMethod.DELETE, RequestMethod.OPTIONS, RequestMethod.TRACE })
	ResponseEntity<Void> otherRegionsMethods(HttpServletRequest request)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		return methodNotMapped(request, HttpMethod.GET, HttpMethod.HEAD);
	}

	/**
	 * Any other method on {@code /simulator/regions/{region}/fault}, as
	 * {@link #otherRegionsMethods}.
	 * @param request the request
	 * @return the answer to {@code OPTIONS}
	 * @throws NoResourceFoundException while the simulator is disabled
	 * @throws HttpRequestMethodNotSupportedException otherwise, but for {@code OPTIONS}
	 */
	@RequestMapping(path = FAULT, method = { RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE,
			RequestMethod.OPTIONS, RequestMethod.TRACE })
	ResponseEntity<Void> otherFaultMethods(HttpServletRequest request)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		return methodNotMapped(request, HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST);
	}

	private ResponseEntity<Void> methodNotMapped(HttpServletRequest request, HttpMethod... allowed)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		requireEnabled(request);
		if (HttpMethod.OPTIONS.matches(request.getMethod())) {
			return ResponseEntity.ok().allow(allowed).build();
		}
		throw new HttpRequestMethodNotSupportedException(request.getMethod(),
				Arrays.stream(allowed).map(HttpMethod::name).toList());
	}

	/**
	 * What Spring MVC's resource handler throws for a path nothing maps, so that the
	 * answer (404 problem) is the same.
	 */
	private void requireEnabled(HttpServletRequest request) throws NoResourceFoundException {
		if (this.simulator == null) {
			String uri = request.getRequestURI();
			throw new NoResourceFoundException(HttpMethod.valueOf(request.getMethod()), uri, uri.substring(1));
		}
	}

	/** The detail lists the simulator's regions and never repeats the caller's value. */
	private void requireKnown(String region) {
		if (!this.simulator.regions().contains(region)) {
			throw new ErrorResponseException(HttpStatus.NOT_FOUND,
					Problems
						.of(HttpStatus.NOT_FOUND, Problems.NOT_FOUND, "Unknown region",
								"The simulated workspace has no such region; its regions are "
										+ String.join(", ", this.simulator.regions().stream().sorted().toList())),
					null);
		}
	}

	private static void requireOnlyWith(String fault, String kind, String parameter, String value) {
		if (value != null && !fault.equals(kind)) {
			throw invalid("Invalid fault", parameter + " goes with fault=" + kind + " only");
		}
	}

	private static Duration seconds(String parameter, String value, Duration fallback, Duration max) {
		if (value == null) {
			return fallback;
		}
		long seconds = parse(value, parameter + " must be whole seconds from 0 to " + max.toSeconds());
		if (seconds < 0 || seconds > max.toSeconds()) {
			throw invalid("Invalid fault", parameter + " must be whole seconds from 0 to " + max.toSeconds());
		}
		return Duration.ofSeconds(seconds);
	}

	private static int errorStatus(String value) {
		if (value == null) {
			return DEFAULT_ERROR_STATUS;
		}
		String message = "status must be an HTTP status from 400 to 599";
		long status = parse(value, message);
		if (status < 400 || status > 599) {
			throw invalid("Invalid fault", message);
		}
		return (int) status;
	}

	private static long parse(String value, String message) {
		if (!value.matches("[0-9]{1,9}")) {
			throw invalid("Invalid fault", message);
		}
		return Long.parseLong(value);
	}

	private static ErrorResponseException invalid(String title, String detail) {
		return new ErrorResponseException(HttpStatus.BAD_REQUEST,
				Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, title, detail), null);
	}

	/** The answer: what is in force now, never cached by a client or proxy. */
	private static ResponseEntity<Map<String, Object>> answer(Map<String, Object> body) {
		return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(body);
	}

	/**
	 * A region's fault as the switch's parameters name it; faults only tests set (e.g.
	 * {@code malformed}) by their kind.
	 */
	private static Map<String, Object> describe(String region, Fault fault) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("region", region);
		body.put("fault", fault.kind().name().toLowerCase(Locale.ROOT));
		switch (fault.kind()) {
			case SLOW -> body.put("delaySeconds", fault.duration().toSeconds());
			case THROTTLED -> body.put("retryAfterSeconds", fault.duration().toSeconds());
			case ERROR -> body.put("status", fault.status());
			default -> {
			}
		}
		return body;
	}

}
