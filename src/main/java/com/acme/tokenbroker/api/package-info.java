/**
 * The OpenAPI document of the callers' API, served at {@code /v3/api-docs} by springdoc
 * and checked in as {@code docs/openapi.yaml}: springdoc derives the paths, parameters
 * and success schemas from the controllers; {@link com.acme.tokenbroker.api.ApiAnswers}
 * adds what it cannot see, every error status with the problem types answered there, and
 * the headers of each answer.
 */
package com.acme.tokenbroker.api;
