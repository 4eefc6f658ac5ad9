package com.acme.tokenbroker.support;

import org.springframework.beans.factory.DisposableBean;

/**
 * Stops what a test class started by hand in its {@code @BeforeAll}: simulators, proxies,
 * blackholes, brokers and Redis connection factories.
 */
public final class Closeables {

	private Closeables() {
	}

	/**
	 * Close or destroy each resource in turn, skipping those never started.
	 * @param resources {@link AutoCloseable}s and {@link DisposableBean}s, some maybe
	 * {@code null}
	 * @throws Exception from the first that fails, leaving those after it open
	 */
	public static void closeAll(Object... resources) throws Exception {
		for (Object resource : resources) {
			if (resource instanceof DisposableBean bean) {
				bean.destroy();
			}
			else if (resource instanceof AutoCloseable closeable) {
				closeable.close();
			}
			else if (resource != null) {
				throw new IllegalArgumentException("Cannot close a " + resource.getClass().getName());
			}
		}
	}

}
