package com.acme.tokenbroker.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;

/**
 * Fetches a JWK set with the broker's JDK HTTP client (its outbound TLS, no redirects): a
 * GET that must answer 200 within the timeout, headers and body together, with a body of
 * at most {@link JWKSourceBuilder#DEFAULT_HTTP_SIZE_LIMIT} bytes.
 */
final class JdkResourceRetriever implements ResourceRetriever {

	private final HttpClient client;

	private final Duration timeout;

	private final int sizeLimit;

	JdkResourceRetriever(HttpClient client, Duration timeout) {
		this(client, timeout, JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT);
	}

	JdkResourceRetriever(HttpClient client, Duration timeout, int sizeLimit) {
		this.client = client;
		this.timeout = timeout;
		this.sizeLimit = sizeLimit;
	}

	@Override
	public Resource retrieveResource(URL url) throws IOException {
		HttpRequest request;
		try {
			request = HttpRequest.newBuilder(url.toURI())
				.timeout(this.timeout)
				.header("Accept", "application/json, application/jwk-set+json")
				.GET()
				.build();
		}
		catch (URISyntaxException ex) {
			throw new IOException("Not a URI: " + url, ex);
		}
		CompletableFuture<HttpResponse<InputStream>> exchange = this.client.sendAsync(request,
				HttpResponse.BodyHandlers.ofInputStream());
		CompletableFuture<Resource> resource = exchange.thenApply(this::read);
		try {
			return resource.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			exchange.cancel(true);
			exchange.thenAccept(JdkResourceRetriever::closeQuietly);
			throw new IOException("No JWK set from " + url + " within " + this.timeout, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted fetching " + url);
		}
		catch (ExecutionException ex) {
			Throwable cause = (ex.getCause() instanceof UncheckedReadException unchecked) ? unchecked.getCause()
					: ex.getCause();
			throw (cause instanceof IOException io) ? io : new IOException("Fetching " + url + " failed", cause);
		}
	}

	private Resource read(HttpResponse<InputStream> response) {
		try (InputStream body = response.body()) {
			if (response.statusCode() != 200) {
				throw new IOException("HTTP " + response.statusCode() + " from " + response.uri());
			}
			ByteArrayOutputStream content = new ByteArrayOutputStream();
			byte[] buffer = new byte[8192];
			int read;
			while ((read = body.read(buffer)) != -1) {
				content.write(buffer, 0, read);
				if (content.size() > this.sizeLimit) {
					throw new IOException("JWK set from " + response.uri() + " exceeds " + this.sizeLimit + " bytes");
				}
			}
			return new Resource(content.toString(StandardCharsets.UTF_8),
					response.headers().firstValue("Content-Type").orElse(null));
		}
		catch (IOException ex) {
			throw new UncheckedReadException(ex);
		}
	}

	private static void closeQuietly(HttpResponse<InputStream> response) {
		try {
			response.body().close();
		}
		catch (IOException ex) {
			// nothing more to do with a response that came too late
		}
	}

	/** Carries an {@link IOException} out of the response callback. */
	private static final class UncheckedReadException extends RuntimeException {

		UncheckedReadException(IOException cause) {
			super(cause);
		}

		@Override
		public synchronized IOException getCause() {
			return (IOException) super.getCause();
		}

	}

}
