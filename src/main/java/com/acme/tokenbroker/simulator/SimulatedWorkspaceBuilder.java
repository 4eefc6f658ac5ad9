package com.acme.tokenbroker.simulator;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Describes the tenant, the workspaces and their services, the principals and their role
 * assignments. <pre class="code">
 * try (SimulatedWorkspace sim = SimulatedWorkspace.builder()
 *         .workspace("ml-weu", "00000000-1111-2222-3333-444444444444", "rg-ml", "westeurope")
 *         .webservice("ml-weu", "fraud-scoring")
 *         .clientSecretPrincipal("broker-app", "s3cret")
 *         .grant("broker-app", "ml-weu", "Reader")
 *         .start()) {
 *     URI authority = sim.authorityHost();            // for azure-identity's authorityHost(...)
 *     URI mms = sim.regionEndpoint("westeurope");     // MMS and ARM host for the region
 * }
 * </pre>
 */
public final class SimulatedWorkspaceBuilder {

	/** The tenant id unless {@link #tenantId(String)} is set. */
	public static final String DEFAULT_TENANT_ID = "5e1f7c2a-9d3b-4c6e-8a1f-0b2c3d4e5f60";

	/** Default v1 {@code refreshAfter} and v2 {@code refreshAfterTimeUtc} offset. */
	public static final Duration DEFAULT_REFRESH_AFTER = Duration.ofMinutes(30);

	/**
	 * Default service token lifetime: {@code refreshAfter} plus 12 h (reference §3.6).
	 */
	public static final Duration DEFAULT_EXPIRES_AFTER = Duration.ofHours(12).plusMinutes(30);

	/** Default Entra access token lifetime, as {@code expires_in: 3599}. */
	public static final Duration DEFAULT_ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(3599);

	private static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9.-]+");

	Clock clock = Clock.systemUTC();

	String tenantId = DEFAULT_TENANT_ID;

	Duration accessTokenLifetime = DEFAULT_ACCESS_TOKEN_LIFETIME;

	Duration managedIdentityTokenLifetime = Duration.ofHours(24);

	int exchangeCapacity = 500;

	int pollsUntilDone = 1;

	final List<IssuanceObserver> observers = new ArrayList<>();

	private final WorkspaceSpecs workspaces = new WorkspaceSpecs();

	final Map<String, Principal> principals = new LinkedHashMap<>();

	final Map<String, String> generatedSecrets = new LinkedHashMap<>();

	private final List<Grant> grants = new ArrayList<>();

	SimulatedWorkspaceBuilder() {
	}

	/**
	 * Set the clock for token times and checks; defaults to {@link Clock#systemUTC()}.
	 * @param clock the clock
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder clock(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "clock must not be null");
		return this;
	}

	/**
	 * Set the tenant id; defaults to {@link #DEFAULT_TENANT_ID}.
	 * @param tenantId the tenant id, {@code [A-Za-z0-9.-]+} as azure-identity requires
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder tenantId(String tenantId) {
		if (tenantId == null || !TENANT_ID.matcher(tenantId).matches()) {
			throw new IllegalArgumentException("tenantId must match [A-Za-z0-9.-]+");
		}
		this.tenantId = tenantId;
		return this;
	}

	/**
	 * Add an observer told about every secret the simulator creates or issues.
	 * @param observer the observer
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder observer(IssuanceObserver observer) {
		this.observers.add(Objects.requireNonNull(observer, "observer must not be null"));
		return this;
	}

	/**
	 * Set the lifetime of Entra access tokens; defaults to 3599 s. A long lifetime helps
	 * virtual-time tests, since MSAL caches tokens by the wall clock.
	 * @param lifetime the lifetime
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder entraTokenLifetime(Duration lifetime) {
		this.accessTokenLifetime = requirePositive(lifetime, "lifetime");
		return this;
	}

	/**
	 * Set the lifetime of managed-identity tokens; defaults to 24 h, as Azure issues
	 * them.
	 * @param lifetime the lifetime
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder managedIdentityTokenLifetime(Duration lifetime) {
		this.managedIdentityTokenLifetime = requirePositive(lifetime, "lifetime");
		return this;
	}

	/**
	 * Set how many exchanges to keep; defaults to 500.
	 * @param capacity the capacity
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder exchangeCapacity(int capacity) {
		if (capacity < 1) {
			throw new IllegalArgumentException("capacity must be positive");
		}
		this.exchangeCapacity = capacity;
		return this;
	}

	/**
	 * Set how key regenerations complete. With {@code n > 0} (the default is 1), MMS
	 * {@code regenerateKeys} answers 202 with {@code Operation-Location} and ARM
	 * {@code regenerateKeys} 202 with {@code Location}, {@code Azure-AsyncOperation} and
	 * {@code Retry-After: 10}; the operation reports {@code Running} for {@code n} polls
	 * and completes on the next one, when the key changes. An operation advances only
	 * when polled, and a faulted poll does not count. With {@code 0} the key changes at
	 * once: MMS answers 200 with the keys, ARM 200 without a body.
	 * @param pollsUntilDone polls that report {@code Running}, {@code 0} for synchronous
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder asyncRegeneration(int pollsUntilDone) {
		if (pollsUntilDone < 0) {
			throw new IllegalArgumentException("pollsUntilDone must not be negative");
		}
		this.pollsUntilDone = pollsUntilDone;
		return this;
	}

	/**
	 * Set the authentication mode of a service declared with {@link #webservice} or
	 * {@link #onlineEndpoint}; the default is {@link AuthMode#AML_TOKEN}. Change it at
	 * run time with {@link SimulatedWorkspace#setAuthMode(String, String, AuthMode)}.
	 * @param workspace the workspace
	 * @param service the web service or online endpoint name
	 * @param mode the mode; {@link AuthMode#AAD_TOKEN} only for online endpoints
	 * @return this builder
	 * @throws IllegalArgumentException for an undeclared service, or {@code AAD_TOKEN} on
	 * a web service (MMS v1 has no Entra-token mode)
	 */
	public SimulatedWorkspaceBuilder authMode(String workspace, String service, AuthMode mode) {
		this.workspaces.authMode(workspace, service, mode);
		return this;
	}

	/**
	 * Add a workspace; its region gets a listener.
	 * @param name the workspace name, unique in the simulator
	 * @param subscriptionId the subscription id
	 * @param resourceGroup the resource group
	 * @param region the region, e.g. {@code westeurope}
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder workspace(String name, String subscriptionId, String resourceGroup,
			String region) {
		requireText(name, "name");
		requireText(subscriptionId, "subscriptionId");
		requireText(resourceGroup, "resourceGroup");
		requireText(region, "region");
		this.workspaces.addWorkspace(name, subscriptionId, resourceGroup, region);
		return this;
	}

	/**
	 * Add an MMS v1 AKS web service with token auth and the default token times,
	 * {@link #DEFAULT_REFRESH_AFTER} and {@link #DEFAULT_EXPIRES_AFTER}.
	 * @param workspace the workspace
	 * @param serviceName the service name, which no online endpoint of the workspace may
	 * have
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder webservice(String workspace, String serviceName) {
		return webservice(workspace, serviceName, DEFAULT_REFRESH_AFTER, DEFAULT_EXPIRES_AFTER);
	}

	/**
	 * Add an MMS v1 AKS web service with token auth.
	 * @param workspace the workspace
	 * @param serviceName the service name
	 * @param refreshAfter offset of {@code refreshAfter} from issuance
	 * @param expiresAfter offset of {@code expiryOn} (and JWT {@code exp}) from issuance
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder webservice(String workspace, String serviceName, Duration refreshAfter,
			Duration expiresAfter) {
		return service(Directory.Kind.WEBSERVICE, workspace, serviceName, refreshAfter, expiresAfter);
	}

	/**
	 * Like {@link #onlineEndpoint(String, String, Duration, Duration)} with the default
	 * token times.
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder onlineEndpoint(String workspace, String endpointName) {
		return onlineEndpoint(workspace, endpointName, DEFAULT_REFRESH_AFTER, DEFAULT_EXPIRES_AFTER);
	}

	/**
	 * Add an ARM v2 online endpoint with {@code AMLToken} auth.
	 * @param workspace the workspace
	 * @param endpointName the endpoint name
	 * @param refreshAfter offset of {@code refreshAfterTimeUtc} from issuance
	 * @param expiresAfter offset of {@code expiryTimeUtc} (and JWT {@code exp}) from
	 * issuance
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder onlineEndpoint(String workspace, String endpointName, Duration refreshAfter,
			Duration expiresAfter) {
		return service(Directory.Kind.ONLINE_ENDPOINT, workspace, endpointName, refreshAfter, expiresAfter);
	}

	/**
	 * Register an application that authenticates with a client secret.
	 * @param clientId the client id
	 * @param secret the secret
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder clientSecretPrincipal(String clientId, String secret) {
		requireText(secret, "secret");
		return addPrincipal(new Principal.Secret(clientId, secret));
	}

	/**
	 * Register an application with a secret generated by the simulator; read it back with
	 * {@link SimulatedWorkspace#generatedClientSecret(String)}.
	 * @param clientId the client id
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder clientSecretPrincipal(String clientId) {
		byte[] random = new byte[30];
		new SecureRandom().nextBytes(random);
		String secret = "sim~" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
		clientSecretPrincipal(clientId, secret);
		this.generatedSecrets.put(clientId, secret);
		return this;
	}

	/**
	 * Register an application that authenticates with a certificate (RSA key): client
	 * assertions signed RS256 or PS256 with {@code x5t} or {@code x5t#S256} of this
	 * certificate.
	 * @param clientId the client id
	 * @param certificate the certificate
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder certificatePrincipal(String clientId, X509Certificate certificate) {
		Objects.requireNonNull(certificate, "certificate must not be null");
		return addPrincipal(new Principal.Certificate(clientId, certificate));
	}

	/**
	 * Register an application with a federated credential trusting the simulated cluster
	 * issuer for {@code subject}, e.g. {@code system:serviceaccount:ns:sa}.
	 * @param clientId the client id
	 * @param subject the subject
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder federatedPrincipal(String clientId, String subject) {
		requireText(subject, "subject");
		return addPrincipal(new Principal.Federated(clientId, subject));
	}

	/**
	 * Assign a managed identity to the simulated hosting environment: the first one
	 * registered is its system-assigned identity, every one can be asked for by
	 * {@code client_id} (user-assigned). Its tokens come from
	 * {@link SimulatedWorkspace#managedIdentityEndpoint()}; grant it roles like any
	 * principal.
	 * @param clientId the identity's client id
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder managedIdentity(String clientId) {
		return addPrincipal(new Principal.Managed(clientId));
	}

	/**
	 * Assign a role on a workspace. {@code Reader}, {@code Contributor}, {@code Owner}
	 * and {@code AzureML Data Scientist} allow MMS and ARM token calls; other roles do
	 * not.
	 * @param clientId the principal
	 * @param workspace the workspace
	 * @param role the role
	 * @return this builder
	 */
	public SimulatedWorkspaceBuilder grant(String clientId, String workspace, String role) {
		requireText(role, "role");
		this.grants.add(new Grant(clientId, workspace, role));
		return this;
	}

	/**
	 * Build the simulator (keys and certificate are generated here) without starting it.
	 * @return the simulator
	 */
	public SimulatedWorkspace build() {
		return new SimulatedWorkspace(this);
	}

	/**
	 * Build and start the simulator.
	 * @return the started simulator
	 */
	public SimulatedWorkspace start() {
		return build().start();
	}

	/** The declared tenant with fresh keys and the role assignments made so far. */
	Directory buildDirectory() {
		Directory directory = new Directory(this.tenantId, this.principals,
				this.workspaces.build(this.clock.instant()));
		this.grants.forEach((grant) -> directory.grant(grant.clientId(), grant.workspace(), grant.role()));
		return directory;
	}

	private SimulatedWorkspaceBuilder addPrincipal(Principal principal) {
		requireText(principal.clientId(), "clientId");
		if (this.principals.putIfAbsent(principal.clientId(), principal) != null) {
			throw new IllegalArgumentException("Principal '" + principal.clientId() + "' already registered");
		}
		return this;
	}

	private SimulatedWorkspaceBuilder service(Directory.Kind kind, String workspace, String name, Duration refreshAfter,
			Duration expiresAfter) {
		this.workspaces.addService(kind, workspace, name, refreshAfter, expiresAfter);
		return this;
	}

	static void requireText(String value, String name) {
		if (value == null || value.isBlank()) {
			throw new IllegalArgumentException(name + " must not be empty");
		}
	}

	static Duration requirePositive(Duration value, String name) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new IllegalArgumentException(name + " must be positive");
		}
		return value;
	}

	/**
	 * A role assignment made before start.
	 */
	private record Grant(String clientId, String workspace, String role) {
	}

}
