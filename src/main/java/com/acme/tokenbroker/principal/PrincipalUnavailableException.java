package com.acme.tokenbroker.principal;

/**
 * The broker could not obtain its own token from Microsoft Entra ID. The message names
 * the cause class only: azure identity messages can echo request details, so they are not
 * propagated.
 */
public class PrincipalUnavailableException extends RuntimeException {

	public PrincipalUnavailableException(String message, Throwable cause) {
		super(message, cause, false, false);
	}

}
