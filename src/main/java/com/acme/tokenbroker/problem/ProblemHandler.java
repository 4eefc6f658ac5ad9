package com.acme.tokenbroker.problem;

import java.net.URI;

import com.acme.tokenbroker.catalog.InvalidServiceNameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Renders every error of the API as {@code application/problem+json}, whatever the
 * caller's {@code Accept} (a {@code text/plain} caller still gets a readable error), with
 * {@code Cache-Control: no-store}. Unexpected exceptions become a plain 500 problem
 * without a stack trace or message. Spring MVC's own errors (no endpoint at the path, a
 * method not allowed, ...) get the broker's type for their status instead of
 * {@code about:blank}; a 404's detail names no path.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

	private static final Logger logger = LoggerFactory.getLogger(ProblemHandler.class);

	private static final URI ABOUT_BLANK = URI.create("about:blank");

	@ExceptionHandler(InvalidServiceNameException.class)
	ResponseEntity<ProblemDetail> invalidServiceName(InvalidServiceNameException ex) {
		return problem(Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_SERVICE_NAME, "Invalid service name",
				ex.getMessage()), new HttpHeaders());
	}

	/**
	 * The firewall checks a header only when it is read, so a value it refuses may be met
	 * inside a controller (the injecting proxy reads every header to forward it): the
	 * firewall's own 400, as its {@code RequestRejectedHandler} answers a refused URL,
	 * not an unexpected error.
	 */
	@ExceptionHandler(RequestRejectedException.class)
	ResponseEntity<ProblemDetail> requestRejected() {
		return problem(Problems.of(HttpStatus.BAD_REQUEST, Problems.REQUEST_REJECTED, Problems.REQUEST_REJECTED_TITLE,
				Problems.REQUEST_REJECTED_DETAIL), new HttpHeaders());
	}

	@ExceptionHandler(Exception.class)
	ResponseEntity<ProblemDetail> unexpected(Exception ex) {
		logger.error("Unexpected error answering a request ({})", ex.getClass().getName(), ex);
		return problem(Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, Problems.INTERNAL, "Internal error",
				"The broker failed to answer this request; the error is logged"), new HttpHeaders());
	}

	@Override
	protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
			WebRequest request) {
		if (body instanceof ProblemDetail problem && isUntyped(problem)) {
			typed(problem, statusCode.value());
		}
		HttpHeaders withType = new HttpHeaders();
		withType.addAll(headers);
		withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
		withType.setCacheControl("no-store");
		return new ResponseEntity<>(body, withType, statusCode);
	}

	private static boolean isUntyped(ProblemDetail problem) {
		return problem.getType() == null || ABOUT_BLANK.equals(problem.getType());
	}

	private static void typed(ProblemDetail problem, int status) {
		if (status == HttpStatus.BAD_REQUEST.value()) {
			problem.setType(Problems.INVALID_REQUEST);
			problem.setTitle("Invalid request");
			return;
		}
		Problems.Kind kind = Problems.forStatus(status);
		problem.setType(kind.type());
		problem.setTitle(kind.title());
		if (status == HttpStatus.NOT_FOUND.value()) {
			// Spring's detail quotes the path, as sent
			problem.setDetail("Nothing is served at this path");
		}
	}

	static ResponseEntity<ProblemDetail> problem(ProblemDetail problem, HttpHeaders headers) {
		return ResponseEntity.status(problem.getStatus())
			.headers(headers)
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.cacheControl(org.springframework.http.CacheControl.noStore())
			.body(problem);
	}

	static ResponseEntity<ProblemDetail> problem(ErrorResponse error) {
		return problem(error.getBody(), error.getHeaders());
	}

}
