package com.acme.tokenbroker.token;

import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON body of {@code GET /tokens/{service}} for a token, for a feature that hands
 * credentials out other than over HTTP (a file sink): the same fields, names and times.
 */
public final class TokenBodies {

	private TokenBodies() {
	}

	/**
	 * @param token the token
	 * @param stale whether it is served as stale
	 * @param mapper the application's JSON mapper
	 * @return the body {@code GET /tokens/{service}} would answer
	 */
	public static byte[] json(BrokeredToken token, boolean stale, JsonMapper mapper) {
		return mapper.writeValueAsBytes(TokenResponse.of(new TokenBroker.Served(token, stale, false)));
	}

}
