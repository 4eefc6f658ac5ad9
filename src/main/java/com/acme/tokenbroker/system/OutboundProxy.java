package com.acme.tokenbroker.system;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.springframework.util.StringUtils;

/**
 * The forward proxy every outbound HTTPS client of the broker goes through (Entra ID
 * sign-in, model management, ARM, the callers' key sets): one {@link ProxySelector} set
 * on each JDK HTTP client the broker builds ({@link OutboundTls#httpClientBuilder}) and,
 * where the proxy wants credentials, a preemptive Basic {@code Proxy-Authorization} on
 * every call that goes through it ({@link #proxyAuthorization(URI)}).
 * <p>
 * {@code broker.upstream.proxy.*} ({@link OutboundProperties.Proxy}) wins; each setting
 * left empty falls back to the environment as curl reads it: {@code https_proxy} then
 * {@code HTTPS_PROXY} for the proxy ({@code http://[user:password@]host[:port]}, port
 * 1080 when none is given, {@code http://} when no scheme is), {@code no_proxy} then
 * {@code NO_PROXY} for the hosts reached directly. azure-core would read these itself
 * (and Java's {@code https.proxyHost}) when building the Entra client; the broker tells
 * it not to, so both clients route alike.
 * <p>
 * Non-proxy hosts, comma or space separated: {@code *} (no proxy at all); a host name,
 * which also covers its subdomains ({@code example.com} and {@code .example.com} both
 * cover {@code login.example.com}); an IP address; or a CIDR range ({@code 10.0.0.0/8},
 * {@code fd00::/8}), matched against hosts written as addresses (names are never resolved
 * to decide). The instance metadata address {@code 169.254.169.254}, which managed
 * identity calls and no proxy can reach, is always direct. Loopback is not implicitly
 * direct (as in curl).
 * <p>
 * The JDK drops a Basic {@code Proxy-Authorization} from a CONNECT request unless
 * {@value #TUNNELING_DISABLED_SCHEMES} says otherwise, and reads that property once, when
 * its HTTP client first loads: {@link #allowBasicForTunnels()} runs first thing in
 * {@code main}.
 */
public final class OutboundProxy {

	/** The JDK's list of authentication schemes refused for CONNECT tunnels. */
	public static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";

	/** How the JDK starts the message of a CONNECT the proxy did not answer with 200. */
	public static final String TUNNEL_FAILED = "Tunnel failed, got: ";

	/** Azure's instance metadata service: link-local, never reachable through a proxy. */
	static final String INSTANCE_METADATA = "169.254.169.254";

	/** Curl's port for a proxy URL without one. */
	static final int DEFAULT_PORT = 1080;

	/** No proxy: every call connects directly. */
	public static final OutboundProxy DIRECT = new OutboundProxy(null, null, null, null, NonProxyHosts.parse(""));

	private final InetSocketAddress address;

	private final String source;

	private final String username;

	private final char[] password;

	private final NonProxyHosts nonProxyHosts;

	private OutboundProxy(InetSocketAddress address, String source, String username, char[] password,
			NonProxyHosts nonProxyHosts) {
		this.address = address;
		this.source = source;
		this.username = username;
		this.password = password;
		this.nonProxyHosts = nonProxyHosts;
	}

	/**
	 * The proxy from {@code broker.upstream.proxy}, falling back to the environment.
	 * @param properties the bound {@code broker.upstream.proxy}
	 * @param environment reads an environment variable, {@code null} when unset
	 * @return the proxy, or {@link #DIRECT}
	 */
	public static OutboundProxy from(OutboundProperties.Proxy properties, Function<String, String> environment) {
		String urlSource = "broker.upstream.proxy.url";
		String url = (properties.url() != null) ? properties.url().toString() : null;
		if (!StringUtils.hasText(url)) {
			urlSource = firstSet(environment, "https_proxy", "HTTPS_PROXY");
			url = (urlSource != null) ? environment.apply(urlSource) : null;
		}
		List<String> nonProxy = properties.nonProxyHosts();
		if (nonProxy.isEmpty()) {
			String variable = firstSet(environment, "no_proxy", "NO_PROXY");
			nonProxy = (variable != null) ? List.of(environment.apply(variable)) : List.of();
		}
		if (!StringUtils.hasText(url)) {
			return DIRECT;
		}
		URI uri = parse(urlSource, url.strip());
		String username = null;
		String password = null;
		if (uri.getRawUserInfo() != null) {
			String[] parts = uri.getRawUserInfo().split(":", 2);
			username = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
			password = (parts.length > 1) ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
		}
		if (StringUtils.hasText(properties.username())) {
			username = properties.username();
		}
		if (properties.password() != null) {
			password = properties.password();
		}
		if (StringUtils.hasText(password) && !StringUtils.hasText(username)) {
			throw new InvalidConfigurationException("broker.upstream.proxy.username",
					"is required when a proxy password is set");
		}
		int port = (uri.getPort() != -1) ? uri.getPort() : DEFAULT_PORT;
		return new OutboundProxy(InetSocketAddress.createUnresolved(uri.getHost(), port), urlSource,
				StringUtils.hasText(username) ? username : null,
				StringUtils.hasText(username) ? Objects.requireNonNullElse(password, "").toCharArray() : null,
				NonProxyHosts.parse(String.join(",", nonProxy)));
	}

	private static String firstSet(Function<String, String> environment, String... names) {
		for (String name : names) {
			if (StringUtils.hasText(environment.apply(name))) {
				return name;
			}
		}
		return null;
	}

	/**
	 * The proxy URL, checked. Messages never repeat the value: it may hold a password.
	 */
	private static URI parse(String source, String url) {
		String withScheme = url.contains("://") ? url : "http://" + url;
		URI uri;
		try {
			uri = new URI(withScheme);
		}
		catch (URISyntaxException ex) {
			throw new InvalidConfigurationException(source, "is not a URL (http://host:port)");
		}
		if (!"http".equalsIgnoreCase(uri.getScheme())) {
			throw new InvalidConfigurationException(source,
					"must be an http:// proxy URL (HTTPS is tunnelled through it with CONNECT)");
		}
		if (uri.getHost() == null) {
			throw new InvalidConfigurationException(source, "names no host (http://host:port)");
		}
		if (StringUtils.hasLength(uri.getRawPath()) && !"/".equals(uri.getRawPath()) || uri.getRawQuery() != null) {
			throw new InvalidConfigurationException(source, "must be http://host:port, without a path or query");
		}
		return uri;
	}

	/**
	 * Let the JDK's HTTP client send Basic proxy credentials on a CONNECT tunnel: drop
	 * {@code Basic} from {@value #TUNNELING_DISABLED_SCHEMES} unless it is set as a
	 * system property already (an operator's explicit choice is kept). Takes effect only
	 * if no JDK HTTP client was built before in this JVM, so {@code main} calls it first.
	 * The broker sends its credentials to its own proxy alone
	 * ({@link #proxyAuthorization(URI)}), so no other host can collect them.
	 */
	public static void allowBasicForTunnels() {
		if (System.getProperty(TUNNELING_DISABLED_SCHEMES) == null) {
			System.setProperty(TUNNELING_DISABLED_SCHEMES, "");
		}
	}

	/**
	 * @return whether the JVM's setting refuses Basic for proxy tunnels, as far as the
	 * system property tells
	 */
	static boolean isBasicRefusedForTunnels() {
		String disabled = System.getProperty(TUNNELING_DISABLED_SCHEMES);
		return disabled == null || Arrays.stream(disabled.split(","))
			.map(String::strip)
			.anyMatch((scheme) -> scheme.equalsIgnoreCase("Basic"));
	}

	/**
	 * Say what went wrong when a failure is the outbound proxy refusing a tunnel: the
	 * JDK's {@code IOException} "Tunnel failed, got: 401" (tinyproxy answers a wrong
	 * password with 401, others with 407), never any credential.
	 * @param failure a failed call's exception
	 * @return the condition, or {@code null} for any other failure
	 */
	public static String describeRefusal(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof IOException && cause.getMessage() != null
					&& cause.getMessage().startsWith(TUNNEL_FAILED)) {
				return "the outbound proxy refused the tunnel: " + cause.getMessage().substring(TUNNEL_FAILED.length())
						+ " (check broker.upstream.proxy)";
			}
		}
		return null;
	}

	public boolean isDirect() {
		return this.address == null;
	}

	public boolean hasCredentials() {
		return this.username != null;
	}

	/**
	 * Route a JDK HTTP client through this proxy (nothing for {@link #DIRECT}). Where the
	 * proxy wants credentials, the client must also be wrapped with
	 * {@link #authorizing(HttpClient)}: the JDK's own {@code Authenticator} would do, but
	 * a client with one drops every {@code Authorization} header its callers set, the
	 * broker's bearer tokens among them.
	 * @param builder the client's builder
	 * @return the builder
	 */
	public HttpClient.Builder applyTo(HttpClient.Builder builder) {
		if (isDirect()) {
			return builder;
		}
		if (hasCredentials() && isBasicRefusedForTunnels()) {
			throw new InvalidConfigurationException(TUNNELING_DISABLED_SCHEMES,
					"disables Basic, which the proxy credentials of " + this.source + " need: remove Basic");
		}
		return builder.proxy(new Selector());
	}

	/**
	 * The route of every call, for clients other than the JDK's: this proxy for the hosts
	 * it covers, direct for the others.
	 * @return the selector, or {@code null} for {@link #DIRECT}
	 */
	public ProxySelector selector() {
		return isDirect() ? null : new Selector();
	}

	/**
	 * This proxy's Basic credentials, for clients other than the JDK's, which answer the
	 * proxy's {@code 407} with them.
	 * @return the proxy's address and credentials, or {@code null} when it has none
	 */
	public Credentials credentials() {
		return hasCredentials() ? new Credentials(this.address.getHostString(), this.address.getPort(), this.username,
				(this.password != null) ? this.password.clone() : new char[0]) : null;
	}

	/**
	 * A proxy's credentials.
	 *
	 * @param host the proxy's host
	 * @param port its port
	 * @param username the user name
	 * @param password the password
	 */
	public record Credentials(String host, int port, String username, char[] password) {

		/** Names the proxy and the user; never the password. */
		@Override
		public String toString() {
			return "Credentials[" + this.host + ":" + this.port + ", " + this.username + "]";
		}

	}

	/**
	 * A client that sends this proxy's credentials with every call it proxies.
	 * @param client a client built with {@link #applyTo}
	 * @return the client, wrapped where the proxy has credentials
	 */
	public HttpClient authorizing(HttpClient client) {
		return hasCredentials() ? new ProxyAuthorizingHttpClient(client, this) : client;
	}

	/**
	 * The {@code Proxy-Authorization} value for a call, sent preemptively (Basic only):
	 * the JDK moves it to the CONNECT request of the tunnel and keeps it out of the
	 * request inside, so the upstream never sees it. Only for calls that go through the
	 * proxy: a directly reached host must never get the proxy's password.
	 * @param uri where the call goes
	 * @return the header value, or {@code null} where none is to be sent
	 */
	public String proxyAuthorization(URI uri) {
		if (!hasCredentials() || !isProxied(uri)) {
			return null;
		}
		byte[] credentials = (this.username + ":" + new String(this.password)).getBytes(StandardCharsets.UTF_8);
		return "Basic " + Base64.getEncoder().encodeToString(credentials);
	}

	/**
	 * @param uri where a call goes
	 * @return whether it goes through the proxy
	 */
	public boolean isProxied(URI uri) {
		return !isDirect() && uri.getHost() != null && !this.nonProxyHosts.matches(uri.getHost());
	}

	/** Names the proxy, its source and its non-proxy hosts; never the credentials. */
	@Override
	public String toString() {
		if (isDirect()) {
			return "no proxy";
		}
		return "proxy http://" + this.address.getHostString() + ":" + this.address.getPort() + " (" + this.source
				+ ((this.username != null) ? ", Basic authentication as '" + this.username + "'" : "")
				+ "), direct for " + this.nonProxyHosts;
	}

	static String withoutUserInfo(URI uri) {
		if (uri == null || uri.getRawUserInfo() == null) {
			return Objects.toString(uri, null);
		}
		return uri.toString().replace(uri.getRawUserInfo() + "@", "******@");
	}

	private final class Selector extends ProxySelector {

		@Override
		public List<Proxy> select(URI uri) {
			String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : "";
			if ((scheme.equals("https") || scheme.equals("http")) && isProxied(uri)) {
				return List.of(new Proxy(Proxy.Type.HTTP, OutboundProxy.this.address));
			}
			return List.of(Proxy.NO_PROXY);
		}

		@Override
		public void connectFailed(URI uri, SocketAddress address, IOException ex) {
			// the failure reaches the caller as the call's own error
		}

	}

	/** Curl's {@code NO_PROXY} list, with CIDR ranges. */
	static final class NonProxyHosts {

		private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

		private final boolean all;

		private final List<String> domains;

		private final List<Range> ranges;

		private NonProxyHosts(boolean all, List<String> domains, List<Range> ranges) {
			this.all = all;
			this.domains = domains;
			this.ranges = ranges;
		}

		static NonProxyHosts parse(String list) {
			boolean all = false;
			List<String> domains = new ArrayList<>();
			List<Range> ranges = new ArrayList<>();
			ranges.add(Range.parse(INSTANCE_METADATA));
			for (String raw : list.split("[,\\s]+")) {
				String entry = raw.strip().toLowerCase(Locale.ROOT);
				if (entry.isEmpty()) {
					continue;
				}
				if (entry.equals("*")) {
					all = true;
					continue;
				}
				Range range = Range.parse(entry);
				if (range != null) {
					ranges.add(range);
					continue;
				}
				// a port after a name is ignored, as curl does
				entry = entry.replaceFirst(":\\d+$", "");
				entry = entry.startsWith("*.") ? entry.substring(2) : entry;
				entry = entry.startsWith(".") ? entry.substring(1) : entry;
				entry = entry.endsWith(".") ? entry.substring(0, entry.length() - 1) : entry;
				if (!entry.isEmpty()) {
					domains.add(entry);
				}
			}
			return new NonProxyHosts(all, List.copyOf(domains), List.copyOf(ranges));
		}

		boolean matches(String host) {
			if (this.all) {
				return true;
			}
			String name = host.toLowerCase(Locale.ROOT);
			name = (name.startsWith("[") && name.endsWith("]")) ? name.substring(1, name.length() - 1) : name;
			name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
			byte[] address = literal(name);
			if (address != null) {
				for (Range range : this.ranges) {
					if (range.contains(address)) {
						return true;
					}
				}
				return false;
			}
			for (String domain : this.domains) {
				if (name.equals(domain) || name.endsWith("." + domain)) {
					return true;
				}
			}
			return false;
		}

		/**
		 * @return the address of an IP literal, {@code null} for a name (never resolved)
		 */
		static byte[] literal(String host) {
			if (IPV4.matcher(host).matches()) {
				String[] octets = host.split("\\.");
				byte[] address = new byte[4];
				for (int i = 0; i < 4; i++) {
					int octet = Integer.parseInt(octets[i]);
					if (octet > 255) {
						return null;
					}
					address[i] = (byte) octet;
				}
				return address;
			}
			if (!host.contains(":")) {
				return null;
			}
			try {
				// with a colon InetAddress parses an IPv6 literal or fails, never looks
				// up
				return InetAddress.getByName(host).getAddress();
			}
			catch (UnknownHostException | IllegalArgumentException ex) {
				return null;
			}
		}

		@Override
		public String toString() {
			if (this.all) {
				return "every host";
			}
			List<String> entries = new ArrayList<>(this.domains);
			this.ranges.forEach((range) -> entries.add(range.text));
			return String.join(",", entries);
		}

		/** An address or CIDR range. */
		private record Range(byte[] network, int prefix, String text) {

			static Range parse(String entry) {
				int slash = entry.indexOf('/');
				String host = (slash >= 0) ? entry.substring(0, slash) : entry;
				host = (host.startsWith("[") && host.endsWith("]")) ? host.substring(1, host.length() - 1) : host;
				byte[] network = literal(host);
				if (network == null) {
					return null;
				}
				int prefix = network.length * 8;
				if (slash >= 0) {
					try {
						prefix = Integer.parseInt(entry.substring(slash + 1));
					}
					catch (NumberFormatException ex) {
						return null;
					}
					if (prefix < 0 || prefix > network.length * 8) {
						return null;
					}
				}
				return new Range(network, prefix, entry);
			}

			boolean contains(byte[] address) {
				if (address.length != this.network.length) {
					return false;
				}
				int bits = this.prefix;
				for (int i = 0; i < address.length && bits > 0; i++, bits -= 8) {
					int mask = (bits >= 8) ? 0xff : (0xff << (8 - bits)) & 0xff;
					if ((address[i] & mask) != (this.network[i] & mask)) {
						return false;
					}
				}
				return true;
			}

		}

	}

}
