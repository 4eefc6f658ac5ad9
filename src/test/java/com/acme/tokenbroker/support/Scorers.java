package com.acme.tokenbroker.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * Callers that score continuously on their own threads while a test changes what they
 * depend on (a key rotation), counting their calls and failures until stopped.
 */
public final class Scorers {

	private final AtomicBoolean stop = new AtomicBoolean();

	private final AtomicInteger failures = new AtomicInteger();

	private final AtomicLong iterations = new AtomicLong();

	private final List<Thread> threads = new ArrayList<>();

	private final Duration patience;

	private Scorers(Duration patience) {
		this.patience = patience;
	}

	/**
	 * Start the scorers, each on a thread of its own named {@code scorer-<index>}.
	 * @param count how many
	 * @param patience how long {@link #awaitIterations(long)} waits
	 * @param loop what each runs: scores until {@code stop}, counting each call in
	 * {@code iterations} and each failed one in {@code failures}
	 * @return the running scorers
	 */
	public static Scorers start(int count, Duration patience, Loop loop) {
		Scorers scorers = new Scorers(patience);
		for (int i = 0; i < count; i++) {
			int index = i;
			Thread scorer = new Thread(() -> loop.run(index, scorers.stop, scorers.failures, scorers.iterations),
					"scorer-" + i);
			scorer.start();
			scorers.threads.add(scorer);
		}
		return scorers;
	}

	/**
	 * Wait until the scorers have made {@code more} calls from now.
	 * @param more how many calls
	 */
	public void awaitIterations(long more) {
		long target = this.iterations.get() + more;
		await().atMost(this.patience).until(() -> this.iterations.get() >= target);
	}

	/**
	 * Tell the scorers to stop and wait up to ten seconds for each.
	 * @throws InterruptedException if interrupted while waiting
	 */
	public void stop() throws InterruptedException {
		this.stop.set(true);
		for (Thread scorer : this.threads) {
			scorer.join(10_000);
		}
	}

	public int failures() {
		return this.failures.get();
	}

	public long iterations() {
		return this.iterations.get();
	}

	/** What one scorer runs. */
	@FunctionalInterface
	public interface Loop {

		void run(int index, AtomicBoolean stop, AtomicInteger failures, AtomicLong iterations);

	}

}
