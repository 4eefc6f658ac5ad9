package com.acme.tokenbroker.token;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * 404: no service of that name is configured. Raised before any upstream call.
 */
class UnknownServiceException extends ErrorResponseException {

	UnknownServiceException(ServiceName name) {
		super(HttpStatus.NOT_FOUND, Problems.of(HttpStatus.NOT_FOUND, Problems.UNKNOWN_SERVICE, "Unknown service",
				"No service named '" + name + "' is configured"), null);
	}

}
