package com.acme.tokenbroker.token;

/**
 * The body of {@code GET /tokens/{service}}: the token and its freshness contract. Times
 * are ISO-8601 UTC.
 *
 * @param service the service name
 * @param tokenType the scheme to use in {@code Authorization}
 * @param accessToken the credential
 * @param expiresAt when the token stops working
 * @param refreshBy when to ask the broker again
 * @param fetchedAt when the broker received it from upstream
 * @param stale whether the broker should already hold a newer one (its refresh failed or
 * is running)
 * @param credentialType {@code aml_token}, {@code key} or {@code aad_token}
 * @param scoringUri where the service scores, when known
 */
record TokenResponse(String service, String tokenType, String accessToken, String expiresAt, String refreshBy,
		String fetchedAt, boolean stale, String credentialType, String scoringUri) {

	static TokenResponse of(TokenBroker.Served served) {
		BrokeredToken token = served.token();
		return new TokenResponse(token.service().value(), token.tokenType(), token.value(),
				AnswerTimes.iso(token.expiresAt()), AnswerTimes.iso(token.refreshAfter()),
				AnswerTimes.iso(token.fetchedAt()), served.stale(), token.credentialType(), token.scoringUri());
	}

	@Override
	public String toString() {
		return "TokenResponse[service=" + this.service + ", expiresAt=" + this.expiresAt + ", stale=" + this.stale
				+ "]";
	}

}
