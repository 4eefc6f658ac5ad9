package com.acme.tokenbroker.token;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.acme.tokenbroker.catalog.AuthMode;
import com.acme.tokenbroker.catalog.ServiceDescriptor;
import com.acme.tokenbroker.catalog.ServiceName;
import com.acme.tokenbroker.principal.Identities;
import com.acme.tokenbroker.principal.PrincipalCredential;
import com.acme.tokenbroker.principal.PrincipalUnavailableException;
import com.acme.tokenbroker.upstream.KeySlot;
import com.acme.tokenbroker.upstream.ServiceKeysClient;
import com.acme.tokenbroker.upstream.ServiceMetadata;
import com.acme.tokenbroker.upstream.ServiceMetadataClient;
import com.acme.tokenbroker.upstream.UpstreamException;
import com.acme.tokenbroker.upstream.UpstreamToken;
import com.acme.tokenbroker.upstream.UpstreamTokenClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TokenSource} that asks Azure ML directly, for whichever credential the
 * service accepts:
 * <ul>
 * <li>{@code aml_token}: the workspace's token call;</li>
 * <li>{@code key}: the served key (primary unless a rotation switched it), re-read every
 * {@code key-refresh}; keys do not expire, so the freshness contract is the broker's:
 * {@code refreshBy} is the next re-read and {@code expiresAt} the longest it serves a key
 * it could not re-read;</li>
 * <li>{@code aad_token}: an Entra ID token for the Azure ML data plane from the service's
 * identity, only where no caller of another service could receive the same token
 * ({@link DataPlaneIsolation}); acquired anew at each fetch and refreshed at half-life
 * ({@link RefreshPolicy#entraRefreshAfter}), so a kept token is served stale while Entra
 * ID is down.</li>
 * </ul>
 * With {@code auth-mode: auto} the mode comes from the service's metadata, re-read every
 * {@code metadata-refresh}, and at once when the upstream refuses the credential the
 * broker asked for (a 400 or 401 from the token or {@code listKeys} call: a redeployment
 * switched the mode), at most once per {@code min-refresh-interval}; the fetch in the
 * mode it finds follows at once (for keys, a fresh {@code listKeys}).
 */
class UpstreamTokenSource implements TokenSource {

	private static final Logger logger = LoggerFactory.getLogger(UpstreamTokenSource.class);

	private final UpstreamTokenClient tokens;

	private final ServiceMetadataClient metadataClient;

	private final ServiceKeysClient keys;

	private final Identities identities;

	private final DataPlaneIsolation isolation;

	private final ServedKeySlot keySlots;

	private final RefreshPolicy policy;

	private final Clock clock;

	private final Map<ServiceName, Discovered> metadata = new ConcurrentHashMap<>();

	UpstreamTokenSource(UpstreamTokenClient tokens, ServiceMetadataClient metadataClient, ServiceKeysClient keys,
			Identities identities, DataPlaneIsolation isolation, ServedKeySlot keySlots, RefreshPolicy policy,
			Clock clock) {
		this.tokens = tokens;
		this.metadataClient = metadataClient;
		this.keys = keys;
		this.identities = identities;
		this.isolation = isolation;
		this.keySlots = keySlots;
		this.policy = policy;
		this.clock = clock;
	}

	/**
	 * The upstream has nothing older or newer than the held token: {@code held} is not
	 * read.
	 */
	@Override
	public BrokeredToken load(ServiceDescriptor service, BrokeredToken held) {
		ServiceMetadata metadata = metadata(service, false);
		try {
			return fetch(service, metadata);
		}
		catch (UpstreamException ex) {
			if (service.authMode() == AuthMode.AUTO && refusesTheCredential(ex) && mayReRead(service)) {
				ServiceMetadata current = metadata(service, true);
				if (current.authMode() != metadata.authMode()) {
					logger.info("Service '{}' now uses {} instead of {}", service.name(), current.authMode(),
							metadata.authMode());
					return fetch(service, current);
				}
			}
			throw ex;
		}
	}

	/**
	 * The service refused the credential: with {@code auth-mode: auto} the metadata is
	 * re-read first (at most once per {@code min-refresh-interval}), because a
	 * redeployment that switched the mode is not seen by a fetch in the old one: a
	 * workspace token or an Entra token is still issued, and {@code listKeys} may still
	 * answer, for a service that no longer accepts them.
	 */
	@Override
	public BrokeredToken loadReplacing(ServiceDescriptor service, BrokeredToken rejected) {
		if (service.authMode() == AuthMode.AUTO && mayReRead(service)) {
			Discovered known = this.metadata.get(service.name());
			ServiceMetadata current = metadata(service, true);
			if (known != null && current.authMode() != known.metadata().authMode()) {
				logger.info("Service '{}' now uses {} instead of {}", service.name(), current.authMode(),
						known.metadata().authMode());
			}
		}
		return load(service, rejected);
	}

	/**
	 * The upstream refusing the credential the broker asked for, as Azure ML does when
	 * the service no longer uses that mode: 400 (v1 "Key authentication is not enabled",
	 * v2 "has authMode ...") or 401 from the token or {@code listKeys} call. A 403 is a
	 * missing role, which a metadata re-read cannot fix.
	 */
	private static boolean refusesTheCredential(UpstreamException failure) {
		return failure.getKind() == UpstreamException.Kind.REJECTED_REQUEST
				|| (failure.getKind() == UpstreamException.Kind.REJECTED_PRINCIPAL && failure.getStatus() == 401);
	}

	private boolean mayReRead(ServiceDescriptor service) {
		Discovered known = this.metadata.get(service.name());
		return this.policy.mayReReadMetadata((known != null) ? known.at() : null, this.clock.instant());
	}

	/**
	 * The mode to use now: the configured one, else the discovered one while it is
	 * younger than metadata-refresh. When re-reading fails, the last known metadata is
	 * used; with none, the failure propagates.
	 */
	ServiceMetadata metadata(ServiceDescriptor service, boolean force) {
		Instant now = this.clock.instant();
		Discovered known = this.metadata.get(service.name());
		if (!force && known != null && this.policy.metadataCurrent(known.at(), now)) {
			return known.metadata();
		}
		try {
			ServiceMetadata read = this.metadataClient.describe(service);
			if (service.authMode() != AuthMode.AUTO) {
				read = new ServiceMetadata(service.authMode(), read.scoringUri());
			}
			this.metadata.put(service.name(), new Discovered(read, now));
			return read;
		}
		catch (UpstreamException ex) {
			if (known != null) {
				return known.metadata();
			}
			if (service.authMode() != AuthMode.AUTO) {
				return new ServiceMetadata(service.authMode(), null);
			}
			throw ex;
		}
	}

	private BrokeredToken fetch(ServiceDescriptor service, ServiceMetadata metadata) {
		Instant now = this.clock.instant().truncatedTo(ChronoUnit.MILLIS);
		AuthMode mode = metadata.authMode();
		return switch (mode) {
			case AML_TOKEN, AUTO -> {
				UpstreamToken token = this.tokens.fetch(service);
				yield new BrokeredToken(service.name(), token.tokenType(), token.value(), token.refreshAfter(),
						token.expiresAt(), now, AuthMode.AML_TOKEN.credentialType(), metadata.scoringUri());
			}
			case KEY -> {
				KeySlot slot = this.keySlots.served(service.name());
				String key = this.keys.listKeys(service).get(slot);
				yield new BrokeredToken(service.name(), "Bearer", key, this.policy.keyRefreshAfter(now),
						this.policy.keyExpiresAt(now), now, AuthMode.KEY.credentialType(), metadata.scoringUri());
			}
			case AAD_TOKEN -> {
				this.isolation.requireIsolated(service);
				PrincipalCredential.PrincipalToken token;
				try {
					token = this.identities.dataPlane(service.identity()).token();
				}
				catch (PrincipalUnavailableException ex) {
					throw new UpstreamException(UpstreamException.Kind.PRINCIPAL_UNAVAILABLE, 0, null,
							"No Entra ID token for service '" + service.name() + "': " + ex.getMessage(), ex);
				}
				Instant refreshAfter = RefreshPolicy.entraRefreshAfter(now, token.expiresAt(), token.refreshAt());
				yield new BrokeredToken(service.name(), "Bearer", token.value(), refreshAfter, token.expiresAt(), now,
						AuthMode.AAD_TOKEN.credentialType(), metadata.scoringUri());
			}
		};
	}

	private record Discovered(ServiceMetadata metadata, Instant at) {
	}

}
