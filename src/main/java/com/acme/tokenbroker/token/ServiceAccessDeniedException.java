package com.acme.tokenbroker.token;

import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * 403: the caller is authenticated but no access rule grants it this service.
 */
class ServiceAccessDeniedException extends ErrorResponseException {

	ServiceAccessDeniedException(ServiceName name) {
		super(HttpStatus.FORBIDDEN, Problems.of(HttpStatus.FORBIDDEN, Problems.SERVICE_ACCESS_DENIED,
				"Service access denied", "No access rule grants this caller the service '" + name + "'"), null);
	}

}
