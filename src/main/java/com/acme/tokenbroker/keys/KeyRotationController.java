package com.acme.tokenbroker.keys;

import java.net.URI;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.security.AccessPolicy;
import com.acme.tokenbroker.security.Caller;
import com.acme.tokenbroker.token.AnswerTimes;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /admin/services/{service}/keys/rotate} starts (or returns, or resumes) a
 * rotation and answers 202 with its status and a {@code Location} to follow; {@code GET
 * /admin/services/{service}/keys/rotation} shows it. Only callers granted by
 * {@code broker.access.admin-rules} may do either (deny by default).
 */
@RestController
class KeyRotationController {

	private final ServiceCatalog catalog;

	private final AccessPolicy accessPolicy;

	private final KeyRotator rotator;

	KeyRotationController(ServiceCatalog catalog, AccessPolicy accessPolicy, KeyRotator rotator) {
		this.catalog = catalog;
		this.accessPolicy = accessPolicy;
		this.rotator = rotator;
	}

	@PostMapping(path = "/admin/services/{service}/keys/rotate", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<RotationView> rotate(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt) {
		Caller caller = Caller.from(jwt);
		ServiceDescriptor descriptor = authorize(service, caller);
		if (!this.rotator.usesKeys(descriptor)) {
			throw problem(HttpStatus.CONFLICT, "not-key-auth", "Not a key-auth service",
					"Service '" + descriptor.name() + "' is not served a key; nothing to rotate");
		}
		KeyRotation rotation;
		try {
			rotation = this.rotator.rotate(descriptor, caller.describe());
		}
		catch (RotationElsewhereException ex) {
			throw problem(HttpStatus.CONFLICT, "rotation-elsewhere", "Rotation running elsewhere",
					"Another broker instance of the fleet is rotating the keys of service '" + descriptor.name()
							+ "'; follow it there, or ask again once it has ended");
		}
		catch (KeySlotCoordination.CoordinationUnavailableException ex) {
			ErrorResponseException unavailable = problem(HttpStatus.SERVICE_UNAVAILABLE,
					"rotation-coordination-unavailable", "Rotation not coordinated",
					"The fleet's shared store is unavailable; a rotation now would leave the "
							+ "other instances serving a key it regenerates. Ask again once Redis is back");
			unavailable.getHeaders().set("Retry-After", "30");
			throw unavailable;
		}
		return ResponseEntity.accepted()
			.location(URI.create("/admin/services/" + descriptor.name() + "/keys/rotation"))
			.cacheControl(CacheControl.noStore())
			.body(RotationView.of(rotation, this.rotator.isCoordinated()));
	}

	@GetMapping(path = "/admin/services/{service}/keys/rotation", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<RotationView> rotation(@PathVariable("service") String service, @AuthenticationPrincipal Jwt jwt) {
		ServiceDescriptor descriptor = authorize(service, Caller.from(jwt));
		KeyRotation rotation = this.rotator.rotation(descriptor.name());
		if (rotation == null) {
			throw problem(HttpStatus.NOT_FOUND, "no-rotation", "No rotation",
					"Service '" + descriptor.name() + "' has not been rotated since the broker started");
		}
		return ResponseEntity.ok()
			.cacheControl(CacheControl.noStore())
			.body(RotationView.of(rotation, this.rotator.isCoordinated()));
	}

	private ServiceDescriptor authorize(String service, Caller caller) {
		ServiceName name = ServiceName.of(service);
		// The grant before existence, as for /tokens: a non-admin learns nothing of which
		// services exist
		if (!this.accessPolicy.isAdmin(caller, name)) {
			throw problem(HttpStatus.FORBIDDEN, "admin-access-denied", "Administration denied",
					"No admin rule grants this caller the administration of service '" + name + "'");
		}
		return this.catalog.find(name)
			.orElseThrow(() -> problem(HttpStatus.NOT_FOUND, "unknown-service", "Unknown service",
					"No service named '" + name + "' is configured"));
	}

	private static ErrorResponseException problem(HttpStatus status, String slug, String title, String detail) {
		return new ErrorResponseException(status, Problems.of(status, Problems.type(slug), title, detail), null);
	}

	/**
	 * A rotation as the API shows it: no key, ever.
	 *
	 * @param id the rotation id
	 * @param service the service
	 * @param status {@code RUNNING}, {@code WAITING}, {@code SUCCEEDED}, {@code FAILED}
	 * @param step the current or failed step
	 * @param retiredSlot the key served before
	 * @param newSlot the key served after
	 * @param requestedBy who asked
	 * @param startedAt when it started
	 * @param graceUntil until when the retired key stays valid
	 * @param finishedAt when it ended
	 * @param failure why it failed
	 * @param coordinated whether the other broker instances follow this rotation (fleet
	 * mode)
	 * @param scope what the rotation covers, in words
	 */
	record RotationView(String id, String service, String status, String step, String retiredSlot, String newSlot,
			String requestedBy, String startedAt, String graceUntil, String finishedAt, String failure,
			boolean coordinated, String scope) {

		static final String FLEET = "fleet: every broker instance serves the new key within one refresh check of the "
				+ "switch; one rotation at a time for the fleet";

		static final String INSTANCE_ONLY = "this instance only: other instances are not coordinated (broker.fleet is "
				+ "off) and keep serving the retired key, which is regenerated when the grace period ends";

		static RotationView of(KeyRotation rotation, boolean coordinated) {
			return new RotationView(rotation.id(), rotation.service().value(), rotation.status().name(),
					rotation.step().name(), rotation.retired().name().toLowerCase(java.util.Locale.ROOT),
					rotation.standby().name().toLowerCase(java.util.Locale.ROOT), rotation.requestedBy(),
					AnswerTimes.iso(rotation.startedAt()), AnswerTimes.iso(rotation.graceUntil()),
					AnswerTimes.iso(rotation.finishedAt()), rotation.failure(), coordinated,
					coordinated ? FLEET : INSTANCE_ONLY);
		}

	}

}
