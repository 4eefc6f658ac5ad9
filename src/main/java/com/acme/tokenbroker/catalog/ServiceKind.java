package com.acme.tokenbroker.catalog;

/**
 * How a service is deployed, which decides the upstream API used to fetch its token.
 */
public enum ServiceKind {

	/**
	 * Azure ML v1 web service: Model Management Service {@code POST
	 * .../services/{name}/token}.
	 */
	WEBSERVICE,

	/**
	 * Azure ML v2 managed online endpoint: ARM {@code POST
	 * .../onlineEndpoints/{name}/token}.
	 */
	ONLINE_ENDPOINT;

	/**
	 * @return the name used in configuration, API responses and metric tags:
	 * {@code webservice}, {@code online-endpoint}
	 */
	public String tag() {
		return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
	}

}
