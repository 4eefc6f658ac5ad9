package com.acme.tokenbroker.simulator.boot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.security.AccessProperties;
import com.acme.tokenbroker.simulator.Operation;
import com.acme.tokenbroker.simulator.SimulatedWorkspace;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * {@code POST /simulator/caller-tokens?subject=demo-app}: a caller JWT from the simulated
 * Entra ID, for trying the broker out with curl, and {@code GET /simulator/calls}, the
 * simulator's call counts. While the simulator is disabled the controller still exists
 * (Spring AOT fixes the beans when the jar is built) but answers every request as for a
 * path nothing maps, and {@link SimulatorConfiguration} leaves {@code /simulator/**}
 * behind caller authentication like any other path. Anyone who reaches the API port may
 * call it, so it never mints what an admin rule grants: a role an admin rule names
 * (unless {@code broker.simulator.mintable-roles} lists it), a subject or client id an
 * admin rule names, or anything at all while an admin rule names none of subjects, client
 * ids, roles and groups.
 */
@RestController
class SimulatorController {

	private static final String CALLS = "/simulator/calls";

	private static final String CALLER_TOKENS = "/simulator/caller-tokens";

	private static final Duration TTL = Duration.ofHours(1);

	private final SimulatedWorkspace simulator;

	private final String audience;

	private final SimulatorProperties properties;

	private final List<AccessProperties.Rule> adminRules;

	/** Disabled ({@code null} simulator): every request answers as an unmapped path. */
	SimulatorController(ObjectProvider<SimulatedWorkspace> simulator, SimulatorProperties properties,
			AccessProperties access) {
		this.simulator = simulator.getIfAvailable();
		this.audience = properties.callerAudience();
		this.properties = properties;
		this.adminRules = access.adminRules();
	}

	/**
	 * {@code GET /simulator/calls}: how often the broker called each simulated endpoint,
	 * by region.
	 * @return counts by region and operation, and Entra sign-ins
	 */
	@GetMapping(path = CALLS, produces = MediaType.APPLICATION_JSON_VALUE)
	Map<String, Object> calls(HttpServletRequest request) throws NoResourceFoundException {
		requireEnabled(request);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("entraSignIns", this.simulator.entraCallCount(Operation.ENTRA_TOKEN));
		for (String region : this.simulator.regions()) {
			Map<String, Long> counts = new LinkedHashMap<>();
			for (Operation operation : List.of(Operation.MMS_TOKEN, Operation.ARM_TOKEN)) {
				counts.put(operation.name(), this.simulator.callCount(region, operation));
			}
			body.put(region, counts);
		}
		return body;
	}

	@PostMapping(path = CALLER_TOKENS, produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> callerToken(HttpServletRequest request,
			@RequestParam(name = "subject", defaultValue = "demo-app") String subject,
			@RequestParam(name = "role", required = false) List<String> roles) throws NoResourceFoundException {
		requireEnabled(request);
		if (!ServiceName.isValid(subject)) {
			throw new org.springframework.web.ErrorResponseException(HttpStatus.BAD_REQUEST,
					Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid subject",
							"subject must be 1 to 64 letters, digits, '.', '_' or '-'"),
					null);
		}
		if (grantsAdmin(subject, (roles != null) ? roles : List.of())) {
			// the detail names no caller-supplied value (Problems): which role or subject
			// is for the caller to see
			throw new org.springframework.web.ErrorResponseException(HttpStatus.FORBIDDEN,
					Problems.of(HttpStatus.FORBIDDEN, Problems.FORBIDDEN, "Not mintable",
							"The simulator does not mint a caller token an admin rule would match: a role, subject or "
									+ "client id an admin rule names; list a role in broker.simulator.mintable-roles "
									+ "for a demo"),
					null);
		}
		Map<String, Object> claims = new LinkedHashMap<>();
		claims.put("azp", subject);
		if (roles != null && !roles.isEmpty()) {
			claims.put("roles", List.copyOf(roles));
		}
		String token = this.simulator.mintCallerToken(subject, this.audience, claims, TTL);
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("accessToken", token);
		body.put("tokenType", "Bearer");
		body.put("expiresIn", TTL.toSeconds());
		return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(body);
	}

	/**
	 * Any other method on {@code /simulator/calls}: what Spring MVC answers for a method
	 * a path does not map while the simulator is enabled, as for an unmapped path while
	 * it is disabled.
	 * @param request the request
	 * @return the answer to {@code OPTIONS}
	 * @throws NoResourceFoundException while the simulator is disabled
	 * @throws HttpRequestMethodNotSupportedException otherwise, but for {@code OPTIONS}
	 */
	@RequestMapping(path = CALLS, method = { RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH,
			RequestMethod.DELETE, RequestMethod.OPTIONS, RequestMethod.TRACE })
	ResponseEntity<Void> otherCallsMethods(HttpServletRequest request)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		return methodNotMapped(request, HttpMethod.GET, HttpMethod.HEAD);
	}

	/**
	 * Any other method on {@code /simulator/caller-tokens}, as
	 * {@link #otherCallsMethods}.
	 * @param request the request
	 * @return the answer to {@code OPTIONS}
	 * @throws NoResourceFoundException while the simulator is disabled
	 * @throws HttpRequestMethodNotSupportedException otherwise, but for {@code OPTIONS}
	 */
	@RequestMapping(path = CALLER_TOKENS, method = { RequestMethod.GET, RequestMethod.HEAD, RequestMethod.PUT,
			RequestMethod.PATCH, RequestMethod.DELETE, RequestMethod.OPTIONS, RequestMethod.TRACE })
	ResponseEntity<Void> otherCallerTokensMethods(HttpServletRequest request)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		return methodNotMapped(request, HttpMethod.POST);
	}

	private ResponseEntity<Void> methodNotMapped(HttpServletRequest request, HttpMethod... allowed)
			throws NoResourceFoundException, HttpRequestMethodNotSupportedException {
		requireEnabled(request);
		if (HttpMethod.OPTIONS.matches(request.getMethod())) {
			return ResponseEntity.ok().allow(allowed).build();
		}
		throw new HttpRequestMethodNotSupportedException(request.getMethod(),
				java.util.Arrays.stream(allowed).map(HttpMethod::name).toList());
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

	/**
	 * Whether an admin rule would match a token minted with {@code sub} and {@code azp}
	 * subject and these roles.
	 */
	private boolean grantsAdmin(String subject, List<String> roles) {
		for (AccessProperties.Rule rule : this.adminRules) {
			boolean anyCaller = rule.subjects().isEmpty() && rule.clientIds().isEmpty() && rule.roles().isEmpty()
					&& rule.groups().isEmpty();
			if (anyCaller || rule.subjects().contains(subject) || rule.clientIds().contains(subject)) {
				return true;
			}
			for (String role : roles) {
				if (rule.roles().contains(role) && !this.properties.mintableRoles().contains(role)) {
					return true;
				}
			}
		}
		return false;
	}

}
