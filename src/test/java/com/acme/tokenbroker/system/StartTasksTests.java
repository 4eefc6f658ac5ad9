package com.acme.tokenbroker.system;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link StartTasks}: each task on a thread of its own as soon as its bean is ready, a
 * failure logged without its message, and the tasks still running interrupted when the
 * context closes.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartTasksTests {

	@Test
	void aTaskThatHangsHoldsUpNeitherTheStartNorAnotherTask() throws InterruptedException {
		StartTasks tasks = new StartTasks();
		CountDownLatch release = new CountDownLatch(1);
		AtomicBoolean other = new AtomicBoolean();

		tasks.postProcessAfterInitialization(StartTask.of("a hanging task", release::await), "hanging");
		tasks.postProcessAfterInitialization(StartTask.of("another task", () -> other.set(true)), "other");

		assertThat(tasks.awaitAll(200)).isFalse();
		assertThat(other).isTrue();
		release.countDown();
		assertThat(tasks.awaitAll(10_000)).isTrue();
	}

	@Test
	void aFailureIsLoggedWithItsClassNotItsMessage(CapturedOutput output) throws InterruptedException {
		StartTasks tasks = new StartTasks();

		tasks.postProcessAfterInitialization(StartTask.of("the sign-in", () -> {
			throw new IllegalStateException("client_secret=s3cr3t-value");
		}), "signIn");

		assertThat(tasks.awaitAll(10_000)).isTrue();
		assertThat(output).contains("Preparing the sign-in at start failed (IllegalStateException)")
			.doesNotContain("s3cr3t-value");
	}

	@Test
	void closingTheContextInterruptsATaskStillRunning() throws InterruptedException {
		StartTasks tasks = new StartTasks();
		CountDownLatch started = new CountDownLatch(1);
		AtomicBoolean interrupted = new AtomicBoolean();
		tasks.postProcessAfterInitialization(StartTask.of("a long task", () -> {
			started.countDown();
			try {
				new CountDownLatch(1).await(1, TimeUnit.MINUTES);
			}
			catch (InterruptedException ex) {
				interrupted.set(true);
			}
		}), "long");
		assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

		tasks.destroy();

		assertThat(tasks.awaitAll(10_000)).isTrue();
		assertThat(interrupted).isTrue();
	}

	@Test
	void otherBeansPassThrough() {
		StartTasks tasks = new StartTasks();
		Object bean = new Object();

		assertThat(tasks.postProcessAfterInitialization(bean, "bean")).isSameAs(bean);
	}

}
