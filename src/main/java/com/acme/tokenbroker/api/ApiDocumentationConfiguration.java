package com.acme.tokenbroker.api;

import java.util.List;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.servers.ServerVariable;
import io.swagger.v3.oas.models.servers.ServerVariables;
import io.swagger.v3.oas.models.tags.Tag;
import org.springdoc.core.customizers.OpenApiCustomizer;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The document's fixed parts. Servers are named here, not taken from the request, so the
 * document is the same whichever address and port it is read from.
 */
@Configuration(proxyBeanMethods = false)
class ApiDocumentationConfiguration {

	static final String CALLER_TOKEN = "callerToken";

	@Bean
	OpenAPI brokerOpenApi() {
		ServerVariables standalone = new ServerVariables();
		standalone.addServerVariable("host", new ServerVariable()._default("token-broker")
			.description("The Service's name, or its DNS name from another namespace"));
		return new OpenAPI().info(new Info().title("Token broker API").version("1").description("""
				Service tokens for Azure Machine Learning web services and online endpoints, \
				for callers that present their own bearer token (a Kubernetes service-account \
				token or an Entra ID token from a trusted issuer).

				Every error is an RFC 9457 `application/problem+json` body whose `type` is a \
				`urn:token-broker:problem:` URN (schema `Problem`); each response lists the \
				types it may carry. A `detail` names the service and the condition, never a \
				token. Answers carry `Cache-Control: no-store`.

				Each 503 the broker's code answers has `Retry-After`; callers honour it and \
				`refreshBy` (docs/clients.md)."""))
			.servers(List.of(
					new Server().url("http://127.0.0.1:8080")
						.description("Sidecar: the API on loopback in the application's pod"),
					new Server().url("https://{host}:8080")
						.description("Standalone, TLS on: the broker's Service in the cluster")
						.variables(standalone)))
			.tags(List.of(new Tag().name(ApiAnswers.TOKENS).description("Service tokens and their freshness"),
					new Tag().name(ApiAnswers.KEYS)
						.description("Key rotation of key-auth services, for callers of broker.access.admin-rules"),
					new Tag().name(ApiAnswers.SINKS)
						.description("The state of the file sinks, for callers of broker.access.admin-rules"),
					new Tag().name(ApiAnswers.PROXY)
						.description("Calls to a service through the broker, which adds the credential")))
			.components(new Components().addSecuritySchemes(CALLER_TOKEN,
					new SecurityScheme().type(SecurityScheme.Type.HTTP)
						.scheme("bearer")
						.bearerFormat("JWT")
						.description("The caller's own token, from an issuer in broker.access.issuers")))
			.addSecurityItem(new SecurityRequirement().addList(CALLER_TOKEN));
	}

	@Bean
	OpenApiCustomizer brokerApiAnswers() {
		return new ApiAnswers();
	}

}
