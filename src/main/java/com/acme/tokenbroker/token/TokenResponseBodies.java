package com.acme.tokenbroker.token;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.catalog.ServiceName;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON answers of {@code GET /tokens/{service}}, serialized once per cached token
 * rather than on every request.
 * <p>
 * For each service the latest token served is kept with its body and header values, made
 * with the application's {@link JsonMapper} (the one the message converters use, so the
 * bytes are those Jackson would write for {@link TokenResponse}). A request whose token
 * is the very same instance (the cache hands out one instance per fetch) reuses them; a
 * new token is rendered once and replaces the old one. The stale body, which only a
 * failing refresh calls for, is rendered at its first use rather than beside every fresh
 * one. Only configured services reach this class, so it holds at most one entry per
 * service of the catalog.
 */
final class TokenResponseBodies {

	private final JsonMapper mapper;

	private final Map<ServiceName, Rendered> latest = new ConcurrentHashMap<>();

	TokenResponseBodies(JsonMapper mapper) {
		this.mapper = mapper;
	}

	/**
	 * The rendered answer for a served token.
	 * @param served the token and whether it is stale
	 * @return its bodies and header values, rendered at most once per token instance (in
	 * the absence of races)
	 */
	Rendered of(TokenBroker.Served served) {
		BrokeredToken token = served.token();
		Rendered rendered = this.latest.get(token.service());
		if (rendered == null || rendered.token != token) {
			rendered = new Rendered(token, this.mapper);
			this.latest.put(token.service(), rendered);
		}
		return rendered;
	}

	/** One token's answers. {@link #toString()} never shows the token. */
	static final class Rendered {

		private final BrokeredToken token;

		private final JsonMapper mapper;

		private final byte[] fresh;

		private volatile byte[] stale;

		private final String expiresAt;

		private final String refreshBy;

		Rendered(BrokeredToken token, JsonMapper mapper) {
			this.token = token;
			this.mapper = mapper;
			this.fresh = mapper.writeValueAsBytes(TokenResponse.of(new TokenBroker.Served(token, false, false)));
			this.expiresAt = AnswerTimes.iso(token.expiresAt());
			this.refreshBy = AnswerTimes.iso(token.refreshAfter());
		}

		/**
		 * @param stale whether the token is served as stale
		 * @return the JSON body; shared, so never to be modified
		 */
		byte[] body(boolean stale) {
			if (!stale) {
				return this.fresh;
			}
			byte[] body = this.stale;
			if (body == null) {
				// two racing first stale requests render the same bytes; either copy will
				// do
				body = this.mapper.writeValueAsBytes(TokenResponse.of(new TokenBroker.Served(this.token, true, false)));
				this.stale = body;
			}
			return body;
		}

		String expiresAt() {
			return this.expiresAt;
		}

		String refreshBy() {
			return this.refreshBy;
		}

		@Override
		public String toString() {
			return "Rendered[" + this.token + "]";
		}

	}

}
