package com.acme.tokenbroker.simulator;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans a secret out to every {@link IssuanceObserver}; one failing observer does not stop
 * the others.
 */
final class ObserverChain implements IssuanceObserver {

	private static final Logger logger = LoggerFactory.getLogger(ObserverChain.class);

	private final List<IssuanceObserver> observers;

	ObserverChain(List<IssuanceObserver> observers) {
		this.observers = new CopyOnWriteArrayList<>(observers);
	}

	@Override
	public void issued(String secret) {
		for (IssuanceObserver observer : this.observers) {
			try {
				observer.issued(secret);
			}
			catch (RuntimeException ex) {
				logger.warn("Issuance observer failed: {}", ex.getClass().getName());
			}
		}
	}

	/**
	 * Report the secrets that exist before the first request: every registered client
	 * secret, the managed-identity header (if any) and every service's keys.
	 * @param directory the simulated tenant
	 * @param identityHeader the hosting environment's {@code IDENTITY_HEADER}, or
	 * {@code null}
	 */
	void issuedBeforeStart(Directory directory, String identityHeader) {
		directory.principals().values().forEach((principal) -> {
			if (principal instanceof Principal.Secret secret) {
				issued(secret.secret());
			}
		});
		if (identityHeader != null) {
			issued(identityHeader);
		}
		directory.workspaces().values().forEach((workspace) -> {
			workspace.webservices().values().forEach(this::issuedKeys);
			workspace.onlineEndpoints().values().forEach(this::issuedKeys);
		});
	}

	private void issuedKeys(Directory.Service service) {
		Keys keys = service.auth().keys();
		issued(keys.primaryKey());
		issued(keys.secondaryKey());
	}

}
