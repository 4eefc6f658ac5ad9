package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.MDC;

/**
 * The threads that run token fetches, a separate set per region: a region whose listener
 * is blackholed holds its own threads in connects that never finish, and no other
 * region's refresh waits behind them. Each region has
 * {@code broker.tokens.fetch-concurrency} threads, made on first use and ended when idle.
 * Fetches wait their turn in the order they were handed over, except an {@link #urgent}
 * one, for a caller waiting on it, which counts as handed over {@link #URGENT_LEAD}
 * earlier: at start the warm-up queues a fetch for every service, and a caller's cold
 * miss would otherwise wait for all of them; a refresh never waits more than that lead
 * behind callers' fetches handed over after it.
 */
final class FetchSlots {

	/** How far ahead of the others a fetch a caller waits on is put. */
	static final Duration URGENT_LEAD = Duration.ofSeconds(10);

	private final int perRegion;

	private final Clock clock;

	/** The order fetches were handed over in, across regions. */
	private final AtomicLong handedOver = new AtomicLong();

	private final Map<String, ThreadPoolExecutor> executors = new ConcurrentHashMap<>();

	FetchSlots(int perRegion, Clock clock) {
		this.perRegion = perRegion;
		this.clock = clock;
	}

	/**
	 * @param region a region
	 * @return the executor of its fetches
	 */
	Executor forRegion(String region) {
		ThreadPoolExecutor executor = this.executors.computeIfAbsent(region, this::create);
		return (task) -> {
			Instant handedOver = this.clock.instant();
			executor.execute(new Turn(inCallersContext(task),
					(task instanceof Urgent) ? handedOver.minus(URGENT_LEAD) : handedOver,
					this.handedOver.incrementAndGet()));
		};
	}

	/**
	 * @param task a fetch a caller waits on
	 * @return the fetch, to run ahead of those no caller waits on
	 */
	static Runnable urgent(Runnable task) {
		return new Urgent(task);
	}

	/** A fetch a caller waits on. */
	private record Urgent(Runnable task) implements Runnable {

		@Override
		public void run() {
			this.task.run();
		}

	}

	/**
	 * A fetch's place in its region's queue: by when it counts as handed over, then in
	 * the order it was.
	 */
	private record Turn(Runnable task, Instant rank, long order) implements Runnable, Comparable<Turn> {

		@Override
		public void run() {
			this.task.run();
		}

		@Override
		public int compareTo(Turn other) {
			int byRank = this.rank.compareTo(other.rank);
			return (byRank != 0) ? byRank : Long.compare(this.order, other.order);
		}

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
				new PriorityBlockingQueue<>(), (runnable) -> {
					Thread thread = new Thread(runnable, "token-fetch-" + region + "-" + count.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
		executor.allowCoreThreadTimeOut(true);
		return executor;
	}

	/**
	 * @param region a region
	 * @return the fetches waiting for a thread of its, duplicate entries included
	 */
	int waiting(String region) {
		ThreadPoolExecutor executor = this.executors.get(region);
		return (executor != null) ? executor.getQueue().size() : 0;
	}

	void shutdownNow() {
		this.executors.values().forEach(ThreadPoolExecutor::shutdownNow);
	}

}
