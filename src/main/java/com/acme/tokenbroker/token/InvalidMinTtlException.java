package com.acme.tokenbroker.token;

import com.acme.tokenbroker.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * 400: {@code minTtl} is not an ISO-8601 duration or a number of seconds, or is out of
 * range.
 */
class InvalidMinTtlException extends ErrorResponseException {

	InvalidMinTtlException(String reason) {
		super(HttpStatus.BAD_REQUEST,
				Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid minTtl", reason), null);
	}

}
