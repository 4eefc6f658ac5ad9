package com.acme.tokenbroker.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceName;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.env.Environment;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /simulator/caller-tokens?subject=demo-app}: a caller JWT from the simulated Entra ID, for trying the
 * broker out with curl, and {@code GET /simulator/calls}, the simulator's call counts. Exists only while the
 * simulator is enabled.
 */
@RestController
@ConditionalOnProperty(name = "broker.simulator.enabled", havingValue = "true")
class SimulatorController {

	private static final Duration TTL = Duration.ofHours(1);

	private final SimulatedWorkspace simulator;

	private final String audience;

	SimulatorController(SimulatedWorkspace simulator, Environment environment) {
		this.simulator = simulator;
		this.audience = environment.getProperty("broker.simulator.caller-audience", "api://token-broker");
	}

	/**
	 * {@code GET /simulator/calls}: how often the broker called each simulated endpoint, by region.
	 * @return counts by region and operation, and Entra sign-ins
	 */
	@GetMapping(path = "/simulator/calls", produces = MediaType.APPLICATION_JSON_VALUE)
	Map<String, Object> calls() {
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

	@PostMapping(path = "/simulator/caller-tokens", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> callerToken(@RequestParam(name = "subject", defaultValue = "demo-app") String subject,
			@RequestParam(name = "role", required = false) List<String> roles) {
		if (!ServiceName.isValid(subject)) {
			throw new org.springframework.web.ErrorResponseException(org.springframework.http.HttpStatus.BAD_REQUEST,
					com.acme.tokenbroker.problem.Problems.of(org.springframework.http.HttpStatus.BAD_REQUEST,
							com.acme.tokenbroker.problem.Problems.INVALID_REQUEST, "Invalid subject",
							"subject must be 1 to 64 letters, digits, '.', '_' or '-'"),
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

}
