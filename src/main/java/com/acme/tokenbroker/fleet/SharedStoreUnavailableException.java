package com.acme.tokenbroker.fleet;

/**
 * Redis could not be used: it did not answer, answered with an error, or its circuit
 * breaker is open. Never reaches a caller: the broker works alone instead.
 */
class SharedStoreUnavailableException extends RuntimeException {

	SharedStoreUnavailableException(String message, Throwable cause) {
		super(message, cause, false, false);
	}

}
