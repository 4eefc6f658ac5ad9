package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, faithful fake of Microsoft Entra ID's token endpoint and of the Azure
 * Machine Learning token endpoints (MMS v1 web services and ARM v2 online endpoints),
 * serving real HTTPS on 127.0.0.1 with a self-signed certificate generated at start.
 * <p>
 * One listener serves Entra (and the simulated AKS cluster issuer under {@code /cluster})
 * at the authority host {@code https://localhost:{port}/}; each issuer's OpenID
 * configuration is at {@code {issuer}/.well-known/openid-configuration}. One listener per
 * region serves the MMS and ARM paths of the workspaces located there. Every listener and
 * every region operation has a {@link FaultSwitch}; every call is counted and recorded
 * (scoring is counted only); every secret the simulator creates or issues is reported to
 * the {@link IssuanceObserver}s and never logged. Token times and all checks use the
 * injected {@link Clock} ({@link #useClock(Clock)}).
 * <p>
 * Each web service and online endpoint has an {@link AuthMode}, two keys and a scoring
 * URI that accepts only its current mode's credential. Key regenerations are asynchronous
 * by default ({@link SimulatedWorkspaceBuilder#asyncRegeneration(int)}). Built with
 * {@link #builder()}, whose Javadoc has an example.
 * <p>
 * Methods that name a service take the workspace name and the web service or online
 * endpoint name and throw {@link IllegalArgumentException} for an unknown one; methods
 * that name a region throw it for a region without workspaces. Endpoints and minted
 * tokens exist only while started ({@link IllegalStateException} otherwise). Durations
 * count from the simulator's clock.
 * <p>
 * Thread-safe. Not a Spring bean by itself: wire it in with
 * {@code destroyMethod = "close"}.
 */
public final class SimulatedWorkspace implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(SimulatedWorkspace.class);

	private static final int LISTENER_THREADS = 16;

	private final Directory directory;

	private final SelfSignedCertificate tls;

	/** Made on first use: only tests and demos call the simulator as a TLS client. */
	private volatile SSLContext clientSslContext;

	private final Recorder recorder;

	private final ObserverChain observers;

	private final Map<String, String> generatedSecrets;

	private final EntraListener entra;

	private final RegionListeners regions;

	private volatile Clock clock;

	private volatile State state = State.NEW;

	SimulatedWorkspace(SimulatedWorkspaceBuilder builder) {
		this.clock = builder.clock;
		this.observers = new ObserverChain(builder.observers);
		this.generatedSecrets = Map.copyOf(builder.generatedSecrets);
		this.directory = builder.buildDirectory();
		this.tls = SelfSignedCertificate.forLocalhost();
		SSLContext serverSslContext = this.tls.serverSslContext();
		this.recorder = new Recorder(builder.exchangeCapacity);
		this.entra = new EntraListener(builder, this.directory, this::clock, this.observers, serverSslContext,
				this.recorder, LISTENER_THREADS);
		this.regions = new RegionListeners(this.directory, this.entra.api(), this::clock, this.observers,
				builder.pollsUntilDone, serverSslContext, this.recorder, LISTENER_THREADS);
	}

	/** Return a new builder, to start describing a simulated workspace. */
	public static SimulatedWorkspaceBuilder builder() {
		return new SimulatedWorkspaceBuilder();
	}

	/**
	 * Bind every listener to a random port on 127.0.0.1 and start serving. Reports every
	 * registered client secret and every service key to the observers first.
	 * @return this instance
	 * @throws IllegalStateException if already started or closed
	 */
	public synchronized SimulatedWorkspace start() {
		if (this.state != State.NEW) {
			throw new IllegalStateException("Simulated workspace already " + this.state.name().toLowerCase());
		}
		this.observers.issuedBeforeStart(this.directory, this.entra.identityHeader());
		this.entra.start();
		this.regions.start();
		this.state = State.STARTED;
		logger.info("Simulated workspace started: entra on port {}, {} region(s)", this.entra.port(),
				this.regions.size());
		return this;
	}

	/** Stop every listener and thread, releasing requests held by {@code HANG}. */
	@Override
	public synchronized void close() {
		if (this.state == State.CLOSED) {
			return;
		}
		this.state = State.CLOSED;
		this.regions.close();
		this.entra.close();
		logger.info("Simulated workspace closed");
	}

	/** Replace the clock of token times and every time check (virtual time in tests). */
	public void useClock(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "clock must not be null");
	}

	/** Return the clock in use. */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * Return the authority host, as azure-identity's {@code authorityHost(...)} takes it.
	 */
	public URI authorityHost() {
		return URI.create(started().entra.api().baseUrl() + "/");
	}

	/** Return the tenant id. */
	public String tenantId() {
		return this.directory.tenantId();
	}

	/** Return the v2.0 token endpoint, {@code {authority}{tenant}/oauth2/v2.0/token}. */
	public URI tokenEndpoint() {
		return URI.create(started().entra.api().tokenEndpoint());
	}

	/** Return the v2.0 issuer of Entra tokens, {@code {authority}{tenant}/v2.0}. */
	public String entraIssuer() {
		return started().entra.api().issuer();
	}

	/** Return the tenant's JWKS URI. */
	public URI entraJwksUri() {
		return URI.create(started().entra.api().jwksUri());
	}

	/** Return the simulated AKS OIDC issuer, {@code {authority}cluster}. */
	public String clusterIssuer() {
		return started().entra.api().clusterIssuer();
	}

	/** Return the cluster issuer's JWKS URI. */
	public URI clusterJwksUri() {
		return URI.create(started().entra.api().clusterJwksUri());
	}

	/** Return the names of the regions that have a listener. */
	public Set<String> regions() {
		return this.regions.names();
	}

	/**
	 * Return the host serving MMS and ARM paths for workspaces in {@code region},
	 * {@code https://localhost:{port}}. The port stays the same across {@code DOWN}.
	 */
	public URI regionEndpoint(String region) {
		started();
		return URI.create(this.regions.region(region).api().baseUrl());
	}

	/**
	 * Switch a service's authentication mode at run time, as a redeployment would. From
	 * the next request on, the service's metadata ({@code GET}) reports the new mode, its
	 * credential operations follow it ({@code token} needs {@link AuthMode#AML_TOKEN},
	 * {@code listkeys} and {@code regenerateKeys} need {@link AuthMode#KEY}), and scoring
	 * accepts only the new mode's credential. Keys are kept. {@link AuthMode#AAD_TOKEN}
	 * is for online endpoints only ({@link IllegalArgumentException} on a web service).
	 */
	public void setAuthMode(String workspace, String service, AuthMode mode) {
		Directory.Service found = this.directory.requireService(workspace, service);
		ServiceAuth.requireModeFits(found.isOnlineEndpoint(), found.name(), mode);
		found.auth().mode(mode);
	}

	/** Return a service's current authentication mode. */
	public AuthMode authMode(String workspace, String service) {
		return this.directory.requireService(workspace, service).auth().mode();
	}

	/**
	 * Return a service's scoring URI,
	 * {@code https://localhost:{regionPort}/score/{workspace}/{service}}, as its metadata
	 * reports it. {@code POST} with {@code Authorization: Bearer <credential>} answers
	 * 200 {@code {"score": ...}} when the credential is valid for the service's current
	 * mode, else 401.
	 */
	public URI scoringUri(String workspace, String service) {
		started();
		Directory.Service found = this.directory.requireService(workspace, service);
		Directory.Workspace owner = this.directory.workspace(workspace);
		return URI.create(this.regions.region(owner.region()).api().scoringUri(owner.name(), found.name()));
	}

	/**
	 * Return a service's current keys. Every service has two, whatever its mode; they
	 * never expire and change only when a regeneration completes.
	 */
	public Keys keys(String workspace, String service) {
		return this.directory.requireService(workspace, service).auth().keys();
	}

	/**
	 * Make the service's next accepted key regeneration fail: its operation ends
	 * {@code Failed} (MMS {@code state: Failed} with an {@code error}; ARM: the
	 * {@code Location} poll answers 500 with an error body) when it would have succeeded,
	 * and the keys do not change. With synchronous regeneration the regenerate call
	 * itself answers 500. Applies once.
	 */
	public void failNextRegeneration(String workspace, String service) {
		this.directory.requireService(workspace, service).auth().failNextRegeneration();
	}

	/** Return the PEM of the self-signed certificate every listener presents. */
	public String trustedCertificatePem() {
		return this.tls.certificatePem();
	}

	/** Return a client TLS context trusting the simulator's certificate and no other. */
	public SSLContext clientSslContext() {
		SSLContext context = this.clientSslContext;
		if (context == null) {
			synchronized (this.tls) {
				context = this.clientSslContext;
				if (context == null) {
					context = this.tls.clientSslContext();
					this.clientSslContext = context;
				}
			}
		}
		return context;
	}

	/**
	 * Mint an Entra-issued (tenant-signed) JWT for a caller of the broker. Standard
	 * claims {@code iss}, {@code sub}, {@code aud}, {@code tid}, {@code iat},
	 * {@code nbf}, {@code exp} come first; {@code extraClaims} (e.g. {@code azp},
	 * {@code roles}, {@code groups}) are added last and may override them.
	 * @return the serialized JWT
	 */
	public String mintCallerToken(String subject, String audience, Map<String, Object> extraClaims, Duration ttl) {
		return started().entra.api().mintCallerToken(subject, audience, extraClaims, ttl);
	}

	/**
	 * Sign caller tokens ({@link #mintCallerToken}) with a new key from now on; the
	 * tenant's JWKS publishes it beside the old one, as after an Entra key roll.
	 * @return the new key's id
	 */
	public String rotateCallerSigningKey() {
		return started().entra.api().rotateCallerSigningKey();
	}

	/**
	 * Mint a projected service-account token of the simulated cluster issuer, {@code sub}
	 * {@code system:serviceaccount:{namespace}:{serviceAccount}}; with audience
	 * {@code api://AzureADTokenExchange} it is what workload identity exchanges.
	 * @return the serialized JWT
	 */
	public String mintServiceAccountToken(String namespace, String serviceAccount, String audience, Duration ttl) {
		return started().entra.api().mintServiceAccountToken(namespace, serviceAccount, audience, ttl);
	}

	/**
	 * Return the managed-identity endpoint, what a hosting environment puts in
	 * {@code IDENTITY_ENDPOINT} (App Service protocol {@code 2019-08-01}; answered by the
	 * Entra listener, so its faults and {@code DOWN} apply).
	 */
	public URI managedIdentityEndpoint() {
		return URI.create(started().entra.api().managedIdentityEndpoint());
	}

	/**
	 * Return the environment's {@code IDENTITY_HEADER}, which the managed-identity
	 * endpoint requires.
	 * @throws IllegalStateException if no managed identity was registered
	 */
	public String managedIdentityHeader() {
		return this.entra.requireIdentityHeader();
	}

	/**
	 * Return the client secret the builder generated with
	 * {@link SimulatedWorkspaceBuilder#clientSecretPrincipal(String)}.
	 * @throws IllegalArgumentException if no secret was generated for the client id
	 */
	public String generatedClientSecret(String clientId) {
		String secret = this.generatedSecrets.get(clientId);
		if (secret == null) {
			throw new IllegalArgumentException("No generated secret for client '" + clientId + "'");
		}
		return secret;
	}

	/** Assign a role, e.g. {@code Reader}, to a principal on a workspace at run time. */
	public void grant(String clientId, String workspace, String role) {
		this.directory.grant(clientId, workspace, role);
	}

	/** Remove a role assignment at run time. */
	public void revoke(String clientId, String workspace, String role) {
		this.directory.revoke(clientId, workspace, role);
	}

	/** Return the fault switch of a region's listener. */
	public FaultSwitch faults(String region) {
		return this.regions.region(region).faults();
	}

	/**
	 * Return the fault switch of one operation of a region's listener, which replaces the
	 * region's while set ({@link FaultSwitch} says how).
	 */
	public FaultSwitch faults(String region, Operation operation) {
		Objects.requireNonNull(operation, "operation must not be null");
		return this.regions.region(region).faults(operation);
	}

	/**
	 * Return the fault switch of the Entra listener. Faults other than {@code DOWN} apply
	 * to the token endpoint only.
	 */
	public FaultSwitch entraFaults() {
		return this.entra.faults();
	}

	/**
	 * Return how many requests a region's listener received for an operation, fault
	 * answers and unanswered ({@code HANG}) requests included.
	 */
	public long callCount(String region, Operation operation) {
		this.regions.region(region);
		return this.recorder.count(region, operation);
	}

	/** Return how many token requests ({@link Operation#ENTRA_TOKEN}) Entra received. */
	public long entraCallCount() {
		return this.recorder.count(EntraListener.NAME, Operation.ENTRA_TOKEN);
	}

	/** Return how many requests the Entra listener received for an operation. */
	public long entraCallCount(Operation operation) {
		return this.recorder.count(EntraListener.NAME, operation);
	}

	/**
	 * Return the most recent exchanges (up to the builder's capacity, 500 by default),
	 * oldest first. Scoring ({@link Operation#SCORE}) is counted but never recorded, so
	 * scoring loops do not push control-plane exchanges out.
	 */
	public List<RecordedExchange> exchanges() {
		return this.recorder.exchanges();
	}

	/** Forget all recorded exchanges and reset every call count. */
	public void clearRecording() {
		this.recorder.clear();
	}

	/**
	 * Whether a service token would be accepted for scoring: signed by the workspace's
	 * key, issued by the workspace's region for {@code service}, and not expired by the
	 * simulator's clock; {@code false} for an unknown workspace.
	 */
	public boolean acceptsServiceToken(String workspace, String service, String token) {
		return this.regions.acceptsServiceToken(this.directory.workspace(workspace), service, token);
	}

	private SimulatedWorkspace started() {
		if (this.state != State.STARTED) {
			throw new IllegalStateException("Simulated workspace is " + this.state.name().toLowerCase());
		}
		return this;
	}

	@Override
	public String toString() {
		return "SimulatedWorkspace[" + this.state + ", tenant " + tenantId() + ", regions " + this.regions + "]";
	}

	private enum State {

		NEW, STARTED, CLOSED

	}

}
