package com.acme.tokenbroker.problem;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/**
 * The broker's RFC 9457 problem types. Each {@code type} is a URN naming the condition;
 * {@code detail} names the service and the condition, never a token, key, secret or a
 * caller-supplied value that failed validation.
 */
public final class Problems {

	public static final String TYPE_PREFIX = "urn:token-broker:problem:";

	public static final URI INVALID_SERVICE_NAME = type("invalid-service-name");

	public static final URI INVALID_REQUEST = type("invalid-request");

	public static final URI UNKNOWN_SERVICE = type("unknown-service");

	public static final URI SERVICE_ACCESS_DENIED = type("service-access-denied");

	public static final URI UNAUTHENTICATED = type("unauthenticated");

	public static final URI FORBIDDEN = type("forbidden");

	public static final URI REQUEST_REJECTED = type("request-rejected");

	public static final URI INTERNAL = type("internal-error");

	private Problems() {
	}

	public static URI type(String slug) {
		return URI.create(TYPE_PREFIX + slug);
	}

	public static ProblemDetail of(HttpStatus status, URI type, String title, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(type);
		problem.setTitle(title);
		return problem;
	}

	/**
	 * Write a problem from a servlet filter (security errors happen before MVC). Headers
	 * already set on the response, such as {@code WWW-Authenticate}, are kept.
	 */
	public static void write(JsonMapper mapper, HttpServletRequest request, HttpServletResponse response,
			HttpStatus status, URI type, String title, String detail) throws IOException {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", type.toString());
		body.put("title", title);
		body.put("status", status.value());
		body.put("detail", detail);
		body.put("instance", request.getRequestURI());
		response.setStatus(status.value());
		response.setHeader("Cache-Control", "no-store");
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		response.getOutputStream().write(mapper.writeValueAsBytes(body));
	}

}
