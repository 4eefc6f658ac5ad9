package com.acme.tokenbroker.support;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.Filter;

import org.springframework.boot.web.servlet.FilterRegistrationBean;

/**
 * A servlet filter after the broker's fast path (the first filter) and before Spring
 * Security (-100) that counts the requests reaching it, for tests that prove which
 * requests the fast path answers itself: {@code @Import(PassedOnProbe.class)}, then
 * autowire it.
 */
public class PassedOnProbe extends FilterRegistrationBean<Filter> {

	private final AtomicInteger passedOn;

	public PassedOnProbe() {
		this(new AtomicInteger());
	}

	private PassedOnProbe(AtomicInteger passedOn) {
		super((request, response, chain) -> {
			passedOn.incrementAndGet();
			chain.doFilter(request, response);
		});
		this.passedOn = passedOn;
		setOrder(-108);
	}

	/**
	 * @return the requests the fast path has handed on so far
	 */
	public int get() {
		return this.passedOn.get();
	}

}
