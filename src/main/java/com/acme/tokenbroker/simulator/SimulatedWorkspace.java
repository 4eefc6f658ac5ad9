package com.acme.tokenbroker.simulator;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, faithful fake of Microsoft Entra ID's token endpoint and of the Azure
 * Machine Learning token endpoints (MMS v1 web services and ARM v2 online endpoints),
 * serving real HTTPS on 127.0.0.1 with a self-signed certificate generated at start.
 * <p>
 * One listener serves Entra (and the simulated AKS cluster issuer under
 * {@code /cluster}); one listener per region serves the MMS and ARM paths of the
 * workspaces located there. Every listener has a {@link FaultSwitch}, and every region
 * operation its own switch that overrides the region's
 * ({@link #faults(String, Operation)}); every call is counted and recorded (scoring is
 * counted only); every secret the simulator creates or issues (client secrets, tokens,
 * service keys) is reported to the {@link IssuanceObserver}s and never logged. Token
 * times and all checks use the injected {@link Clock}, which tests may replace at any
 * time with {@link #useClock(Clock)}.
 * <p>
 * Each web service and online endpoint has an {@link AuthMode} (changeable at run time,
 * as a redeployment would), a primary and a secondary key whatever its mode, and a
 * scoring URI ({@link #scoringUri(String, String)}) that accepts only the credential of
 * its current mode. Key regenerations are asynchronous by default
 * ({@link SimulatedWorkspaceBuilder#asyncRegeneration(int)}). <pre class="code">
 * try (SimulatedWorkspace sim = SimulatedWorkspace.builder()
 *         .workspace("ml-weu", "00000000-1111-2222-3333-444444444444", "rg-ml", "westeurope")
 *         .webservice("ml-weu", "fraud-scoring")
 *         .clientSecretPrincipal("broker-app", "s3cret")
 *         .grant("broker-app", "ml-weu", "Reader")
 *         .start()) {
 *     URI authority = sim.authorityHost();            // for azure-identity's authorityHost(...)
 *     URI mms = sim.regionEndpoint("westeurope");     // MMS and ARM host for the region
 * }
 * </pre> Thread-safe. Not a Spring bean by itself: wire it in with
 * {@code destroyMethod = "close"}.
 */
public final class SimulatedWorkspace implements AutoCloseable {

	/**
	 * The tenant id used unless {@link SimulatedWorkspaceBuilder#tenantId(String)} says
	 * otherwise.
	 */
	public static final String DEFAULT_TENANT_ID = "5e1f7c2a-9d3b-4c6e-8a1f-0b2c3d4e5f60";

	/**
	 * Default for the v1 {@code refreshAfter} and v2 {@code refreshAfterTimeUtc} offset.
	 */
	public static final Duration DEFAULT_REFRESH_AFTER = Duration.ofMinutes(30);

	/**
	 * Default service token lifetime: {@code refreshAfter} plus 12 h (reference §3.6).
	 */
	public static final Duration DEFAULT_EXPIRES_AFTER = Duration.ofHours(12).plusMinutes(30);

	/** Default Entra access token lifetime, as {@code expires_in: 3599}. */
	public static final Duration DEFAULT_ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(3599);

	private static final Logger logger = LoggerFactory.getLogger(SimulatedWorkspace.class);

	private static final String ENTRA = "entra";

	private static final int LISTENER_THREADS = 16;

	private final Directory directory;

	private final SelfSignedCertificate tls;

	private final SSLContext clientSslContext;

	private final Recorder recorder;

	private final ObserverChain observers;

	private final Map<String, String> generatedSecrets;

	/**
	 * The hosting environment's {@code IDENTITY_HEADER}; {@code null} without a managed
	 * identity.
	 */
	private final String identityHeader;

	private final SimulatedEntra entra;

	private final Listener entraListener;

	private final FaultSwitch entraFaults = new FaultSwitch(ENTRA);

	private final Map<String, Region> regions = new TreeMap<>();

	private volatile Clock clock;

	private volatile State state = State.NEW;

	SimulatedWorkspace(SimulatedWorkspaceBuilder builder) {
		this.clock = builder.clock;
		this.observers = new ObserverChain(builder.observers);
		this.generatedSecrets = Map.copyOf(builder.generatedSecrets);
		this.directory = builder.buildDirectory();
		builder.grants.forEach((grant) -> this.directory.grant(grant.clientId(), grant.workspace(), grant.role()));
		this.tls = SelfSignedCertificate.forLocalhost();
		this.clientSslContext = this.tls.clientSslContext();
		SSLContext serverSslContext = this.tls.serverSslContext();
		this.recorder = new Recorder(builder.exchangeCapacity);
		String systemAssigned = builder.principals.values()
			.stream()
			.filter(Principal.Managed.class::isInstance)
			.map(Principal::clientId)
			.findFirst()
			.orElse(null);
		this.identityHeader = (systemAssigned != null) ? "sim-identity-header~" + UUID.randomUUID() : null;
		this.entra = new SimulatedEntra(this.directory, this::clock, this.observers, builder.accessTokenLifetime,
				this.identityHeader, systemAssigned, builder.managedIdentityTokenLifetime);
		this.entraListener = new Listener(ENTRA, serverSslContext, this.entraFaults, this.recorder, this.entra,
				LISTENER_THREADS);
		Set<String> regionNames = new LinkedHashSet<>();
		this.directory.workspaces().values().forEach((workspace) -> regionNames.add(workspace.region()));
		for (String name : regionNames) {
			FaultSwitch faults = new FaultSwitch(name);
			Map<Operation, FaultSwitch> operationFaults = new EnumMap<>(Operation.class);
			for (Operation operation : Operation.values()) {
				operationFaults.put(operation, new FaultSwitch(name + "/" + operation.name()));
			}
			SimulatedRegion api = new SimulatedRegion(name, this.directory, this.entra, this::clock, this.observers,
					builder.pollsUntilDone);
			Listener listener = new Listener(name, serverSslContext, faults, operationFaults, this.recorder, api,
					LISTENER_THREADS);
			this.regions.put(name, new Region(api, listener, faults, Map.copyOf(operationFaults)));
		}
	}

	/**
	 * Start describing a simulated workspace.
	 * @return a new builder
	 */
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
		this.directory.principals().values().forEach((principal) -> {
			if (principal instanceof Principal.Secret secret) {
				this.observers.issued(secret.secret());
			}
		});
		if (this.identityHeader != null) {
			this.observers.issued(this.identityHeader);
		}
		this.directory.workspaces().values().forEach((workspace) -> {
			workspace.webservices().values().forEach(this::reportKeys);
			workspace.onlineEndpoints().values().forEach(this::reportKeys);
		});
		this.entraListener.start();
		this.entra.bound(this.entraListener.port());
		this.regions.values().forEach((region) -> {
			region.listener().start();
			region.api().bound(region.listener().port());
		});
		this.state = State.STARTED;
		logger.info("Simulated workspace started: entra on port {}, {} region(s)", this.entraListener.port(),
				this.regions.size());
		return this;
	}

	private void reportKeys(Directory.Service service) {
		Keys keys = service.auth().keys();
		this.observers.issued(keys.primaryKey());
		this.observers.issued(keys.secondaryKey());
	}

	/**
	 * Stop every listener and thread, releasing requests held by {@code HANG}.
	 */
	@Override
	public synchronized void close() {
		if (this.state == State.CLOSED) {
			return;
		}
		this.state = State.CLOSED;
		this.regions.values().forEach((region) -> region.listener().close());
		this.entraListener.close();
		logger.info("Simulated workspace closed");
	}

	/**
	 * Replace the clock used for token times and every time check (virtual time in
	 * tests).
	 * @param clock the clock
	 */
	public void useClock(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "clock must not be null");
	}

	/**
	 * Return the clock in use.
	 * @return the clock
	 */
	public Clock clock() {
		return this.clock;
	}

	// ---- Entra

	/**
	 * Return the authority host, {@code https://localhost:{port}/}, as azure-identity's
	 * {@code authorityHost(...)} takes it.
	 * @return the authority host
	 */
	public URI authorityHost() {
		return URI.create(started().entra.baseUrl() + "/");
	}

	/**
	 * Return the tenant id.
	 * @return the tenant id
	 */
	public String tenantId() {
		return this.directory.tenantId();
	}

	/**
	 * Return the v2.0 token endpoint,
	 * {@code https://localhost:{port}/{tenant}/oauth2/v2.0/token}.
	 * @return the token endpoint
	 */
	public URI tokenEndpoint() {
		return URI.create(started().entra.tokenEndpoint());
	}

	/**
	 * Return the v2.0 issuer of Entra tokens,
	 * {@code https://localhost:{port}/{tenant}/v2.0}; its OpenID configuration is at
	 * {@code {issuer}/.well-known/openid-configuration}.
	 * @return the issuer
	 */
	public String entraIssuer() {
		return started().entra.issuer();
	}

	/**
	 * Return the tenant's JWKS URI.
	 * @return the JWKS URI
	 */
	public URI entraJwksUri() {
		return URI.create(started().entra.jwksUri());
	}

	/**
	 * Return the simulated AKS OIDC issuer,
	 * {@code https://localhost:{entraPort}/cluster}; its OpenID configuration is at
	 * {@code {issuer}/.well-known/openid-configuration}.
	 * @return the cluster issuer
	 */
	public String clusterIssuer() {
		return started().entra.clusterIssuer();
	}

	/**
	 * Return the cluster issuer's JWKS URI.
	 * @return the JWKS URI
	 */
	public URI clusterJwksUri() {
		return URI.create(started().entra.clusterJwksUri());
	}

	// ---- regions

	/**
	 * Return the names of the regions that have a listener.
	 * @return the region names
	 */
	public Set<String> regions() {
		return Set.copyOf(this.regions.keySet());
	}

	/**
	 * Return the host serving MMS and ARM paths for workspaces in {@code region},
	 * {@code https://localhost:{port}}. The port stays the same across {@code DOWN}.
	 * @param region the region
	 * @return the endpoint
	 * @throws IllegalArgumentException for a region without workspaces
	 */
	public URI regionEndpoint(String region) {
		started();
		return URI.create(region(region).api().baseUrl());
	}

	// ---- services: auth modes, keys, scoring

	/**
	 * Switch a service's authentication mode at run time, as a redeployment would. From
	 * the next request on, the service's metadata ({@code GET}) reports the new mode, its
	 * credential operations follow it ({@code token} needs {@link AuthMode#AML_TOKEN},
	 * {@code listkeys} and {@code regenerateKeys} need {@link AuthMode#KEY}), and scoring
	 * accepts only the new mode's credential. Keys are kept.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @param mode the new mode
	 * @throws IllegalArgumentException for an unknown service, or
	 * {@link AuthMode#AAD_TOKEN} on a web service
	 */
	public void setAuthMode(String workspace, String service, AuthMode mode) {
		Directory.Service found = service(workspace, service);
		requireModeFits(found.isOnlineEndpoint(), found.name(), mode);
		found.auth().mode(mode);
	}

	/**
	 * Return a service's current authentication mode.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @return the mode
	 * @throws IllegalArgumentException for an unknown service
	 */
	public AuthMode authMode(String workspace, String service) {
		return service(workspace, service).auth().mode();
	}

	/**
	 * Return a service's scoring URI,
	 * {@code https://localhost:{regionPort}/score/{workspace}/{service}}, as its metadata
	 * reports it. {@code POST} with {@code Authorization: Bearer <credential>} answers
	 * 200 {@code {"score": ...}} when the credential is valid for the service's current
	 * mode, else 401.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @return the scoring URI
	 * @throws IllegalArgumentException for an unknown service
	 * @throws IllegalStateException if not started
	 */
	public URI scoringUri(String workspace, String service) {
		started();
		Directory.Service found = service(workspace, service);
		Directory.Workspace owner = this.directory.workspace(workspace);
		return URI.create(region(owner.region()).api().scoringUri(owner.name(), found.name()));
	}

	/**
	 * Return a service's current keys. Every service has two, whatever its mode; they
	 * never expire and change only when a regeneration completes.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @return the keys
	 * @throws IllegalArgumentException for an unknown service
	 */
	public Keys keys(String workspace, String service) {
		return service(workspace, service).auth().keys();
	}

	/**
	 * Make the service's next accepted key regeneration fail: its operation ends
	 * {@code Failed} (MMS {@code state: Failed} with an {@code error}; ARM: the
	 * {@code Location} poll answers 500 with an error body) when it would have succeeded,
	 * and the keys do not change. With synchronous regeneration the regenerate call
	 * itself answers 500. Applies once.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @throws IllegalArgumentException for an unknown service
	 */
	public void failNextRegeneration(String workspace, String service) {
		service(workspace, service).auth().failNextRegeneration();
	}

	// ---- TLS

	/**
	 * Return the PEM of the self-signed certificate every listener presents.
	 * @return the certificate PEM
	 */
	public String trustedCertificatePem() {
		return this.tls.certificatePem();
	}

	/**
	 * Return the certificate every listener presents.
	 * @return the certificate
	 */
	public X509Certificate trustedCertificate() {
		return this.tls.certificate();
	}

	/**
	 * Return a client TLS context that trusts the simulator's certificate and nothing
	 * else.
	 * @return the TLS context
	 */
	public SSLContext clientSslContext() {
		return this.clientSslContext;
	}

	// ---- minting

	/**
	 * Mint an Entra-issued (tenant-signed) JWT for a caller of the broker. Standard
	 * claims {@code iss}, {@code sub}, {@code aud}, {@code tid}, {@code iat},
	 * {@code nbf}, {@code exp} come first; {@code extraClaims} (e.g. {@code azp},
	 * {@code roles}, {@code groups}) are added last and may override them.
	 * @param subject the {@code sub}
	 * @param audience the {@code aud}
	 * @param extraClaims further claims
	 * @param ttl lifetime from the simulator's clock
	 * @return the serialized JWT
	 */
	public String mintCallerToken(String subject, String audience, Map<String, Object> extraClaims, Duration ttl) {
		return started().entra.mintCallerToken(subject, audience, extraClaims, ttl);
	}

	/**
	 * Sign caller tokens ({@link #mintCallerToken}) with a new key from now on; the
	 * tenant's JWKS publishes it beside the old one, as after an Entra key roll.
	 * @return the new key's id
	 */
	public String rotateCallerSigningKey() {
		return started().entra.rotateCallerSigningKey();
	}

	/**
	 * Mint a projected service-account token of the simulated cluster issuer, {@code sub}
	 * {@code system:serviceaccount:{namespace}:{serviceAccount}}; with audience
	 * {@code api://AzureADTokenExchange} it is what workload identity exchanges.
	 * @param namespace the namespace
	 * @param serviceAccount the service account
	 * @param audience the audience
	 * @param ttl lifetime from the simulator's clock
	 * @return the serialized JWT
	 */
	public String mintServiceAccountToken(String namespace, String serviceAccount, String audience, Duration ttl) {
		return started().entra.mintServiceAccountToken(namespace, serviceAccount, audience, ttl);
	}

	/**
	 * Return the managed-identity endpoint, what a hosting environment puts in
	 * {@code IDENTITY_ENDPOINT} (App Service protocol {@code 2019-08-01}; answered by the
	 * Entra listener, so its faults and {@code DOWN} apply).
	 * @return the endpoint URI
	 */
	public URI managedIdentityEndpoint() {
		return URI.create(started().entra.managedIdentityEndpoint());
	}

	/**
	 * Return the environment's {@code IDENTITY_HEADER}, which the managed-identity
	 * endpoint requires.
	 * @return the header value
	 * @throws IllegalStateException if no managed identity was registered
	 */
	public String managedIdentityHeader() {
		if (this.identityHeader == null) {
			throw new IllegalStateException("No managed identity registered");
		}
		return this.identityHeader;
	}

	/**
	 * Return a client secret the builder generated with
	 * {@link SimulatedWorkspaceBuilder#clientSecretPrincipal(String)}.
	 * @param clientId the client id
	 * @return the secret
	 * @throws IllegalArgumentException if no secret was generated for the client id
	 */
	public String generatedClientSecret(String clientId) {
		String secret = this.generatedSecrets.get(clientId);
		if (secret == null) {
			throw new IllegalArgumentException("No generated secret for client '" + clientId + "'");
		}
		return secret;
	}

	// ---- roles

	/**
	 * Assign a role at run time.
	 * @param clientId the principal
	 * @param workspace the workspace
	 * @param role the role, e.g. {@code Reader}
	 */
	public void grant(String clientId, String workspace, String role) {
		this.directory.grant(clientId, workspace, role);
	}

	/**
	 * Remove a role assignment at run time.
	 * @param clientId the principal
	 * @param workspace the workspace
	 * @param role the role
	 */
	public void revoke(String clientId, String workspace, String role) {
		this.directory.revoke(clientId, workspace, role);
	}

	// ---- faults, counts, recording

	/**
	 * Return the fault switch of a region's listener.
	 * @param region the region
	 * @return the switch
	 */
	public FaultSwitch faults(String region) {
		return region(region).faults();
	}

	/**
	 * Return the fault switch of one operation of a region's listener. When it is set to
	 * anything but {@link Fault#none()}, its fault replaces the region's for that
	 * operation only (e.g. only {@link Operation#ARM_REGENERATE_KEYS}, or only the
	 * operation poll); when clear, the region's switch applies as usual. {@code DOWN}
	 * here drops that operation's connections without an answer instead of closing the
	 * port. It is the only switch that applies to {@link Operation#SCORE}.
	 * <p>
	 * Every operation has a switch, so callers may clear them all in a loop; the Entra
	 * and cluster operations never reach a region's listener, so their switches here have
	 * no effect (use {@link #entraFaults()}).
	 * @param region the region
	 * @param operation the operation
	 * @return the switch
	 * @throws IllegalArgumentException for a region without workspaces
	 */
	public FaultSwitch faults(String region, Operation operation) {
		Objects.requireNonNull(operation, "operation must not be null");
		return region(region).operationFaults().get(operation);
	}

	/**
	 * Return the fault switch of the Entra listener. Faults other than {@code DOWN} apply
	 * to the token endpoint only.
	 * @return the switch
	 */
	public FaultSwitch entraFaults() {
		return this.entraFaults;
	}

	/**
	 * Return how many requests a region's listener received for an operation, fault
	 * answers and unanswered ({@code HANG}) requests included.
	 * @param region the region
	 * @param operation the operation
	 * @return the count
	 */
	public long callCount(String region, Operation operation) {
		region(region);
		return this.recorder.count(region, operation);
	}

	/**
	 * Return how many token requests ({@link Operation#ENTRA_TOKEN}) Entra received.
	 * @return the count
	 */
	public long entraCallCount() {
		return this.recorder.count(ENTRA, Operation.ENTRA_TOKEN);
	}

	/**
	 * Return how many requests the Entra listener received for an operation.
	 * @param operation the operation
	 * @return the count
	 */
	public long entraCallCount(Operation operation) {
		return this.recorder.count(ENTRA, operation);
	}

	/**
	 * Return the most recent exchanges (up to the builder's capacity, 500 by default),
	 * oldest first. Scoring ({@link Operation#SCORE}) is counted but never recorded, so
	 * scoring loops do not push control-plane exchanges out.
	 * @return a copy of the recorded exchanges
	 */
	public List<RecordedExchange> exchanges() {
		return this.recorder.exchanges();
	}

	/**
	 * Forget all recorded exchanges and reset every call count.
	 */
	public void clearRecording() {
		this.recorder.clear();
	}

	/**
	 * Whether a service token would be accepted for scoring: signed by the workspace's
	 * key, issued by the workspace's region for {@code service}, and not expired by the
	 * simulator's clock.
	 * @param workspace the workspace name
	 * @param service the web service or online endpoint name
	 * @param token the token
	 * @return {@code true} if accepted
	 */
	public boolean acceptsServiceToken(String workspace, String service, String token) {
		Directory.Workspace found = this.directory.workspace(workspace);
		if (found == null || token == null) {
			return false;
		}
		return region(found.region()).api().acceptsServiceToken(found, service, token);
	}

	private Directory.Service service(String workspace, String service) {
		Directory.Workspace found = this.directory.workspace(workspace);
		if (found == null) {
			throw new IllegalArgumentException("Unknown workspace '" + workspace + "'");
		}
		Directory.Service result = (service != null) ? found.service(service) : null;
		if (result == null) {
			throw new IllegalArgumentException("Unknown service '" + service + "' in workspace '" + workspace + "'");
		}
		return result;
	}

	static void requireModeFits(boolean onlineEndpoint, String service, AuthMode mode) {
		Objects.requireNonNull(mode, "mode must not be null");
		if (mode == AuthMode.AAD_TOKEN && !onlineEndpoint) {
			throw new IllegalArgumentException(
					"AAD_TOKEN is for online endpoints only; '" + service + "' is an MMS v1 web service");
		}
	}

	private Region region(String name) {
		Region region = this.regions.get(name);
		if (region == null) {
			throw new IllegalArgumentException("No workspace in region '" + name + "'");
		}
		return region;
	}

	private SimulatedWorkspace started() {
		if (this.state != State.STARTED) {
			throw new IllegalStateException("Simulated workspace is " + this.state.name().toLowerCase());
		}
		return this;
	}

	@Override
	public String toString() {
		return "SimulatedWorkspace[" + this.state + ", tenant " + tenantId() + ", regions " + this.regions.keySet()
				+ "]";
	}

	private enum State {

		NEW, STARTED, CLOSED

	}

	private record Region(SimulatedRegion api, Listener listener, FaultSwitch faults,
			Map<Operation, FaultSwitch> operationFaults) {
	}

	/**
	 * Fans a secret out to every observer; one failing observer does not stop the others.
	 */
	private static final class ObserverChain implements IssuanceObserver {

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

	}

}
