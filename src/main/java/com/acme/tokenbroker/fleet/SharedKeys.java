package com.acme.tokenbroker.fleet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.WorkspaceDescriptor;
import com.acme.tokenbroker.keys.KeySlots;

/**
 * The Redis keys of the fleet: {@code <prefix>:token:{<service>:<id>}},
 * {@code <prefix>:lock:{<service>:<id>}}, {@code <prefix>:failed:{<service>:<id>}} (one
 * hash tag, so a script may touch both on a Redis Cluster) and
 * {@code <prefix>:budget:<region>}. The id is a digest of what the service resolves to
 * upstream (workspace, kind, upstream name, auth mode) and of the key slot this instance
 * serves, so two catalogs that give one name to different services never share a token,
 * and an instance that switched to the secondary key (a rotation) never takes, nor
 * overwrites, the primary key its peers share.
 */
final class SharedKeys {

	private final String prefix;

	private final KeySlots keySlots;

	SharedKeys(String prefix, KeySlots keySlots) {
		this.prefix = prefix;
		this.keySlots = keySlots;
	}

	String token(ServiceDescriptor service) {
		return this.prefix + ":token:{" + service.name() + ":" + identity(service) + "}";
	}

	String lock(ServiceDescriptor service) {
		return this.prefix + ":lock:{" + service.name() + ":" + identity(service) + "}";
	}

	/** A failed fetch the fleet shares; in the token's hash slot. */
	String failed(ServiceDescriptor service) {
		return this.prefix + ":failed:{" + service.name() + ":" + identity(service) + "}";
	}

	private String identity(ServiceDescriptor service) {
		return identity(service, this.keySlots.served(service.name()).name());
	}

	String budget(String region) {
		return this.prefix + ":budget:" + region;
	}

	static String identity(ServiceDescriptor service, String keySlot) {
		WorkspaceDescriptor workspace = service.workspace();
		String upstream = String.join("\n", service.kind().name(), workspace.subscriptionId(),
				workspace.resourceGroup(), workspace.name(), workspace.region(), String.valueOf(workspace.mmsHost()),
				String.valueOf(workspace.armHost()), service.upstreamName(), service.authMode().name(), keySlot);
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(upstream.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest, 0, 8);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available in this JVM", ex);
		}
	}

}
