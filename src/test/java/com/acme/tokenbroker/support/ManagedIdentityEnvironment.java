package com.acme.tokenbroker.support;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * The environment variables MSAL4J's managed-identity sources read
 * ({@code IDENTITY_ENDPOINT}, {@code IDENTITY_HEADER}, {@code IMDS_ENDPOINT}, ...), set
 * for this JVM without touching the real environment.
 * <p>
 * azure-identity's {@code ManagedIdentityCredential} hands every platform but AKS
 * workload identity to MSAL4J, which reads those variables through a package-private
 * static seam ({@code ManagedIdentityApplication.environmentVariables}, the one MSAL's
 * own tests use) and never through azure-core's {@code Configuration} the builder
 * accepts. So the broker needs no seam of its own: the test sets this one, by reflection,
 * and {@link #reset()} restores the real environment.
 * <p>
 * MSAL also keeps managed-identity tokens in a static cache checked against the wall
 * clock, which virtual time does not move: {@link #expireCachedTokens()} drops them, as
 * the passing of real time up to their refresh point would.
 */
public final class ManagedIdentityEnvironment {

	private static final String APPLICATION = "com.microsoft.aad.msal4j.ManagedIdentityApplication";

	private static final String VARIABLES = "com.microsoft.aad.msal4j.IEnvironmentVariables";

	private ManagedIdentityEnvironment() {
	}

	/**
	 * Make MSAL see exactly these variables (any other reads as unset).
	 * @param variables names and values
	 */
	public static void set(Map<String, String> variables) {
		Map<String, String> copy = Map.copyOf(variables);
		try {
			Class<?> type = Class.forName(VARIABLES);
			Object environment = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type },
					(proxy, method, args) -> switch (method.getName()) {
						case "getEnvironmentVariable" -> copy.get((String) args[0]);
						case "toString" -> "ManagedIdentityEnvironment" + copy.keySet();
						case "hashCode" -> System.identityHashCode(proxy);
						case "equals" -> proxy == args[0];
						default -> throw new UnsupportedOperationException(method.getName());
					});
			field(APPLICATION, "environmentVariables").set(null, environment);
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException("MSAL4J's environment seam moved: check its ManagedIdentityApplication",
					ex);
		}
	}

	/** Let MSAL read the real environment again. */
	public static void reset() {
		try {
			field(APPLICATION, "environmentVariables").set(null, null);
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Forget every managed-identity token MSAL cached, so its next request goes to the
	 * endpoint.
	 */
	public static void expireCachedTokens() {
		try {
			Object cache = Class.forName(APPLICATION).getMethod("getSharedTokenCache").invoke(null);
			((Map<?, ?>) field("com.microsoft.aad.msal4j.TokenCache", "accessTokens").get(cache)).clear();
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException("MSAL4J's managed-identity cache moved: check its TokenCache", ex);
		}
	}

	private static Field field(String type, String name) throws ReflectiveOperationException {
		Field field = Class.forName(type).getDeclaredField(name);
		field.setAccessible(true);
		return field;
	}

}
