package com.acme.tokenbroker.token;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import com.acme.tokenbroker.catalog.ServiceCatalog;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.problem.Problems;
import com.acme.tokenbroker.security.AccessPolicy;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /tokens/{service}/rejections}: a caller reports that the service refused a
 * credential the broker served (a key regenerated outside the broker, a redeployment that
 * switched the auth mode), naming it by fingerprint or giving it whole, and gets the
 * credential to use now ({@link TokenBroker#replaceRejected}), in the body and headers of
 * {@code GET /tokens/{service}}.
 * <p>
 * Authorized exactly as that {@code GET}: the caller's grant first (403 whether or not
 * the service exists), then the service (404), then the body (400). The body is
 * {@code {"fingerprint":"sha256:<hex or base64url>"}} or {@code {"credential":"..."}}; it
 * is read as bytes after the grant, at most {@value #MAX_BODY_BYTES} and one (which
 * Spring's request logging does not print), and no answer or log quotes it.
 */
@RestController
class TokenRejectionController {

	/** Far above any credential Azure ML issues (a JWT of a few kilobytes). */
	static final int MAX_BODY_BYTES = 16 * 1024;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ServiceCatalog catalog;

	private final AccessPolicy accessPolicy;

	private final TokenBroker broker;

	private final TokenResponseBodies bodies;

	TokenRejectionController(ServiceCatalog catalog, AccessPolicy accessPolicy, TokenBroker broker,
			TokenResponseBodies bodies) {
		this.catalog = catalog;
		this.accessPolicy = accessPolicy;
		this.broker = broker;
		this.bodies = bodies;
	}

	// the body is the pre-rendered TokenResponse, as GET /tokens/{service} answers it
	// (docs/openapi.yaml)
	@ApiResponse(responseCode = "200",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = TokenResponse.class)))
	@PostMapping(path = "/tokens/{service}/rejections", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<byte[]> rejected(@PathVariable("service") String service, HttpServletRequest request,
			@AuthenticationPrincipal Jwt jwt) {
		ServiceDescriptor descriptor = TokenController.authorize(this.catalog, this.accessPolicy, service, jwt);
		CredentialFingerprint rejected = parse(read(request));
		TokenBroker.Served served = this.broker.replaceRejected(descriptor, rejected);
		TokenResponseBodies.Rendered rendered = this.bodies.of(served);
		return ResponseEntity.ok()
			.headers((headers) -> TokenController.tokenHeaders(headers::set, served.stale(), rendered.expiresAt(),
					rendered.refreshBy()))
			.contentType(MediaType.APPLICATION_JSON)
			.body(rendered.body(served.stale()));
	}

	/**
	 * The body, read only after the grant and never beyond the limit and one byte: a
	 * declared or streamed huge body is refused from what was read, not buffered whole.
	 */
	private static byte[] read(HttpServletRequest request) {
		if (request.getContentLengthLong() > MAX_BODY_BYTES) {
			throw tooLarge();
		}
		try (InputStream in = request.getInputStream()) {
			return in.readNBytes(MAX_BODY_BYTES + 1);
		}
		catch (IOException ex) {
			// a body cut short or too slow is the caller's, as a malformed one
			throw invalid("The body could not be read to its end");
		}
	}

	private static ErrorResponseException tooLarge() {
		return invalid("The body must be at most " + MAX_BODY_BYTES + " bytes");
	}

	/**
	 * The fingerprint the body names: exactly one member, {@code fingerprint} (parsed) or
	 * {@code credential} (hashed), a non-empty string.
	 */
	static CredentialFingerprint parse(byte[] body) {
		if (body == null || body.length == 0) {
			throw invalid("The body must be {\"fingerprint\":\"sha256:...\"} or {\"credential\":\"...\"}");
		}
		if (body.length > MAX_BODY_BYTES) {
			throw tooLarge();
		}
		JsonNode json;
		try {
			json = JSON.readTree(body);
		}
		catch (JacksonException ex) {
			// the parser's message quotes the input, which may be the credential
			throw invalid("The body is not JSON");
		}
		if (json == null || !json.isObject() || json.size() != 1) {
			throw invalid("The body must be a JSON object with exactly one of 'fingerprint' and 'credential'");
		}
		Map.Entry<String, JsonNode> member = json.properties().iterator().next();
		String name = member.getKey();
		if (!"fingerprint".equals(name) && !"credential".equals(name)) {
			throw invalid("The body must have 'fingerprint' or 'credential', nothing else");
		}
		JsonNode value = member.getValue();
		if (!value.isString() || value.stringValue().isEmpty()) {
			throw invalid("'" + name + "' must be a non-empty string");
		}
		if ("credential".equals(name)) {
			return CredentialFingerprint.of(value.stringValue());
		}
		try {
			return CredentialFingerprint.parse(value.stringValue());
		}
		catch (IllegalArgumentException ex) {
			throw invalid(ex.getMessage());
		}
	}

	private static ErrorResponseException invalid(String detail) {
		return new ErrorResponseException(HttpStatus.BAD_REQUEST,
				Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid rejection", detail), null);
	}

}
