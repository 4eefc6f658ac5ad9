package com.acme.tokenbroker.simulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Call counters per listener and operation, and a bounded log of recent exchanges.
 */
final class Recorder {

	private final int capacity;

	private final Deque<RecordedExchange> exchanges = new ArrayDeque<>();

	private final Map<String, Map<Operation, LongAdder>> counts = new ConcurrentHashMap<>();

	Recorder(int capacity) {
		this.capacity = capacity;
	}

	void increment(String listener, Operation operation) {
		this.counts.computeIfAbsent(listener, (key) -> new ConcurrentHashMap<>())
			.computeIfAbsent(operation, (key) -> new LongAdder())
			.increment();
	}

	long count(String listener, Operation operation) {
		LongAdder adder = this.counts.getOrDefault(listener, Map.of()).get(operation);
		return (adder != null) ? adder.sum() : 0;
	}

	Map<Operation, Long> counts(String listener) {
		Map<Operation, Long> result = new EnumMap<>(Operation.class);
		this.counts.getOrDefault(listener, Map.of()).forEach((operation, adder) -> result.put(operation, adder.sum()));
		return result;
	}

	synchronized void record(RecordedExchange exchange) {
		if (this.exchanges.size() == this.capacity) {
			this.exchanges.removeFirst();
		}
		this.exchanges.addLast(exchange);
	}

	synchronized List<RecordedExchange> exchanges() {
		return new ArrayList<>(this.exchanges);
	}

	synchronized void clear() {
		this.exchanges.clear();
		this.counts.clear();
	}

}
