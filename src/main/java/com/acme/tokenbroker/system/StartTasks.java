package com.acme.tokenbroker.system;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Runs every {@link StartTask} once, on a daemon thread of its own, as soon as the task's
 * bean is ready: while the rest of the context is still being built and before the web
 * servers open their ports, so the work overlaps the start instead of delaying the first
 * caller (started from the lifecycle instead, they began just before the ports opened and
 * were still running when the first request came: bench/README.md, "Start"). Nothing
 * waits for them: readiness is the token cache's, and a request that comes first does the
 * work itself, the task then finding it done. A context that closes, or fails to start,
 * interrupts the tasks still running.
 */
public class StartTasks implements BeanPostProcessor, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(StartTasks.class);

	private final List<Thread> threads = new ArrayList<>();

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof StartTask task) {
			start(task);
		}
		return bean;
	}

	private synchronized void start(StartTask task) {
		Thread thread = new Thread(() -> run(task), "start-task-" + this.threads.size());
		thread.setDaemon(true);
		this.threads.add(thread);
		logger.debug("Preparing at start: {}", task.description());
		thread.start();
	}

	private static void run(StartTask task) {
		try {
			task.run();
			logger.debug("Prepared at start: {}", task.description());
		}
		catch (Exception ex) {
			if (ex instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			// the cause's class only: a message may quote what the upstream answered
			logger.warn("Preparing {} at start failed ({}); the first request that needs it tries again",
					task.description(), ex.getClass().getSimpleName());
		}
	}

	/**
	 * Waits for every task started so far to end (tests).
	 * @param millis how long to wait at most for each
	 * @return whether all ended
	 * @throws InterruptedException when interrupted while waiting
	 */
	public boolean awaitAll(long millis) throws InterruptedException {
		List<Thread> started;
		synchronized (this) {
			started = List.copyOf(this.threads);
		}
		for (Thread thread : started) {
			thread.join(millis);
			if (thread.isAlive()) {
				return false;
			}
		}
		return true;
	}

	@Override
	public synchronized void destroy() {
		// the tasks are bounded by their calls' timeouts; an interrupt ends a wait early
		this.threads.forEach(Thread::interrupt);
	}

}
