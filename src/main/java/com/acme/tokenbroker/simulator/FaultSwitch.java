package com.acme.tokenbroker.simulator;

import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiConsumer;

/**
 * Run-time switch for the {@link Fault} one listener of the {@link SimulatedWorkspace}
 * puts on the wire: one per region, one for Entra. Setting a new fault (or clearing)
 * releases requests held by {@link Fault.Kind#HANG}; entering or leaving
 * {@link Fault.Kind#DOWN} stops the listener or rebinds it on the same port before
 * {@link #set(Fault)} returns.
 * <p>
 * A region's listener also has one switch per {@link Operation}. When it is set to
 * anything but {@link Fault#none()}, its fault replaces the region's for that operation
 * only (e.g. only {@link Operation#ARM_REGENERATE_KEYS}, or only the operation poll);
 * when clear, the region's switch applies as usual. {@code DOWN} there drops that
 * operation's connections without an answer instead of closing the port. It is the only
 * switch that applies to {@link Operation#SCORE}. Every operation has one, so callers may
 * clear them all in a loop; the Entra and cluster operations never reach a region's
 * listener, so their switches there have no effect.
 *
 * @see SimulatedWorkspace#faults(String)
 * @see SimulatedWorkspace#faults(String, Operation)
 * @see SimulatedWorkspace#entraFaults()
 */
public final class FaultSwitch {

	private final String name;

	private volatile State state = new State(Fault.none(), new CountDownLatch(1));

	private volatile boolean closed;

	private BiConsumer<Fault, Fault> onChange = (previous, next) -> {
	};

	FaultSwitch(String name) {
		this.name = name;
	}

	/**
	 * Return the name of the listener this switch controls ({@code entra} or the region).
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Return the fault currently in force.
	 * @return the fault, {@link Fault#none()} when behaving normally
	 */
	public Fault current() {
		return this.state.fault();
	}

	/**
	 * Put a fault in force, replacing the previous one.
	 * @param fault the fault
	 * @throws java.io.UncheckedIOException if leaving {@code DOWN} cannot rebind the port
	 */
	public synchronized void set(Fault fault) {
		Objects.requireNonNull(fault, "fault must not be null");
		State previous = this.state;
		this.state = new State(fault, new CountDownLatch(1));
		previous.release().countDown();
		this.onChange.accept(previous.fault(), fault);
	}

	/** Return to normal behaviour; same as {@code set(Fault.none())}. */
	public void clear() {
		set(Fault.none());
	}

	synchronized void onChange(BiConsumer<Fault, Fault> onChange) {
		this.onChange = onChange;
	}

	State state() {
		return this.state;
	}

	/**
	 * Block until the given state is replaced or the switch is closed.
	 * @return {@code true} to go on answering, {@code false} when closed
	 */
	boolean awaitRelease(State held) throws InterruptedException {
		held.release().await();
		return !this.closed;
	}

	void close() {
		this.closed = true;
		this.state.release().countDown();
	}

	@Override
	public String toString() {
		return "FaultSwitch[" + this.name + "=" + current() + "]";
	}

	record State(Fault fault, CountDownLatch release) {
	}

}
