package com.acme.tokenbroker.problem;

import com.acme.tokenbroker.catalog.InvalidServiceNameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Renders every error of the API as {@code application/problem+json}, whatever the
 * caller's {@code Accept} (a {@code text/plain} caller still gets a readable error), with
 * {@code Cache-Control: no-store}. Unexpected exceptions become a plain 500 problem
 * without a stack trace or message.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

	private static final Logger logger = LoggerFactory.getLogger(ProblemHandler.class);

	@ExceptionHandler(InvalidServiceNameException.class)
	ResponseEntity<ProblemDetail> invalidServiceName(InvalidServiceNameException ex) {
		return problem(Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_SERVICE_NAME, "Invalid service name",
				ex.getMessage()), new HttpHeaders());
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
		HttpHeaders withType = new HttpHeaders();
		withType.addAll(headers);
		withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
		withType.setCacheControl("no-store");
		return new ResponseEntity<>(body, withType, statusCode);
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
