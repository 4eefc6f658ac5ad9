package com.acme.tokenbroker.support;

import com.acme.tokenbroker.system.OutboundProxy;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Does for the test JVM what {@code TokenBrokerApplication.main} does for the broker's:
 * lets the JDK's HTTP client answer a proxy's Basic challenge on a CONNECT tunnel
 * ({@link OutboundProxy#allowBasicForTunnels()}), before any test builds a client, since
 * the JDK reads that setting once. Registered with {@link java.util.ServiceLoader}.
 */
public final class ProxyTunnelAuthentication implements LauncherSessionListener {

	@Override
	public void launcherSessionOpened(LauncherSession session) {
		OutboundProxy.allowBasicForTunnels();
	}

}
