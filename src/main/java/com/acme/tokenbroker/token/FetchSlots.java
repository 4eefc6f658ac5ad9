package com.acme.tokenbroker.token;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.MDC;

/**
 * The threads that run token fetches, a separate set per region: a region whose listener
 * is blackholed holds its own threads in connects that never finish, and no other
 * region's refresh waits behind them. Each region has
 * {@code broker.tokens.fetch-concurrency} threads, made on first use and ended when idle.
 */
final class FetchSlots {

	private final int perRegion;

	private final Map<String, ThreadPoolExecutor> executors = new ConcurrentHashMap<>();

	FetchSlots(int perRegion) {
		this.perRegion = perRegion;
	}

	/**
	 * @param region a region
	 * @return the executor of its fetches
	 */
	Executor forRegion(String region) {
		ThreadPoolExecutor executor = this.executors.computeIfAbsent(region, this::create);
		return (task) -> executor.execute(inCallersContext(task));
	}

	/**
	 * A fetch a request started logs with that request's id and trace
	 * ({@code RequestContextValve}); one the scheduler started, with none.
	 */
	private static Runnable inCallersContext(Runnable task) {
		Map<String, String> context = MDC.getCopyOfContextMap();
		if (context == null || context.isEmpty()) {
			return task;
		}
		return () -> {
			MDC.setContextMap(context);
			try {
				task.run();
			}
			finally {
				MDC.clear();
			}
		};
	}

	private ThreadPoolExecutor create(String region) {
		AtomicInteger count = new AtomicInteger();
		ThreadPoolExecutor executor = new ThreadPoolExecutor(this.perRegion, this.perRegion, 60, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), (runnable) -> {
					Thread thread = new Thread(runnable, "token-fetch-" + region + "-" + count.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
		executor.allowCoreThreadTimeOut(true);
		return executor;
	}

	void shutdownNow() {
		this.executors.values().forEach(ThreadPoolExecutor::shutdownNow);
	}

}
