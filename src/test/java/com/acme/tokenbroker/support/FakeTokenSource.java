package com.acme.tokenbroker.support;

import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.token.BrokeredToken;
import com.acme.tokenbroker.token.TokenSource;

/**
 * A {@link TokenSource} that plays back scripted answers, counts calls and can hold calls
 * at a gate, so tests can observe what happens while a fetch is in flight.
 */
public final class FakeTokenSource implements TokenSource {

	private final Clock clock;

	private final AtomicInteger calls = new AtomicInteger();

	private final AtomicInteger serial = new AtomicInteger();

	private final Deque<Function<ServiceDescriptor, BrokeredToken>> script = new ConcurrentLinkedDeque<>();

	private volatile Duration refreshAfter = Duration.ofMinutes(30);

	private volatile Duration expiresAfter = Duration.ofHours(12).plusMinutes(30);

	private volatile CountDownLatch gate;

	private final CountDownLatch firstCallStarted = new CountDownLatch(1);

	public FakeTokenSource(Clock clock) {
		this.clock = clock;
	}

	public FakeTokenSource lifetimes(Duration refreshAfter, Duration expiresAfter) {
		this.refreshAfter = refreshAfter;
		this.expiresAfter = expiresAfter;
		return this;
	}

	/** Hold every call until {@link #open()}. */
	public FakeTokenSource closeGate() {
		this.gate = new CountDownLatch(1);
		return this;
	}

	public void open() {
		CountDownLatch current = this.gate;
		if (current != null) {
			current.countDown();
		}
	}

	/**
	 * The next call fails with this exception (calls after it succeed again unless
	 * scripted).
	 */
	public FakeTokenSource thenFail(RuntimeException failure) {
		this.script.add((service) -> {
			throw failure;
		});
		return this;
	}

	public FakeTokenSource thenFailAlways(RuntimeException failure) {
		for (int i = 0; i < 1000; i++) {
			thenFail(failure);
		}
		return this;
	}

	public void clearScript() {
		this.script.clear();
	}

	public boolean awaitFirstCall(long millis) throws InterruptedException {
		return this.firstCallStarted.await(millis, TimeUnit.MILLISECONDS);
	}

	public int calls() {
		return this.calls.get();
	}

	@Override
	public BrokeredToken load(ServiceDescriptor service, BrokeredToken held) {
		this.calls.incrementAndGet();
		this.firstCallStarted.countDown();
		CountDownLatch current = this.gate;
		if (current != null) {
			try {
				if (!current.await(30, TimeUnit.SECONDS)) {
					throw new IllegalStateException("gate never opened");
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}
		Function<ServiceDescriptor, BrokeredToken> next = this.script.poll();
		if (next != null) {
			return next.apply(service);
		}
		var now = this.clock.instant();
		return new BrokeredToken(service.name(), "Bearer",
				"token-" + service.name() + "-" + this.serial.incrementAndGet(), now.plus(this.refreshAfter),
				now.plus(this.expiresAfter), now);
	}

}
