package com.acme.tokenbroker.token;

/**
 * Wraps the upstream {@link TokenSource}, e.g. with a shared second-level cache. Beans of
 * this type are applied in their order, the first innermost.
 */
@FunctionalInterface
public interface TokenSourceDecorator {

	TokenSource decorate(TokenSource source);

}
