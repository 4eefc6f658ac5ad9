package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A key pair and a self-signed X.509 certificate made with BouncyCastle: the simulator's
 * TLS identity (SAN {@code DNS:localhost}, {@code IP:127.0.0.1}; an EC P-256 key, far
 * cheaper to make at start than an RSA key: see bench/README.md), and client certificates
 * for the certificate credential (RSA 2048, as Entra ID requires). Validity is measured
 * on the wall clock, not the simulator's clock, because TLS peers check it against
 * theirs.
 */
final class SelfSignedCertificate {

	private final KeyPair keyPair;

	private final X509Certificate certificate;

	private SelfSignedCertificate(KeyPair keyPair, X509Certificate certificate) {
		this.keyPair = keyPair;
		this.certificate = certificate;
	}

	/**
	 * Generate the certificate the simulator's listeners present.
	 */
	static SelfSignedCertificate forLocalhost() {
		return generate("localhost", List.of("localhost"), List.of("127.0.0.1"), true);
	}

	/**
	 * Generate a certificate for a client principal (no SAN, client authentication).
	 */
	static SelfSignedCertificate forClient(String commonName) {
		return generate(commonName, List.of(), List.of(), false);
	}

	private static SelfSignedCertificate generate(String commonName, List<String> dnsNames, List<String> ips,
			boolean server) {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance(server ? "EC" : "RSA");
			if (server) {
				generator.initialize(new ECGenParameterSpec("secp256r1"));
			}
			else {
				generator.initialize(2048);
			}
			KeyPair keyPair = generator.generateKeyPair();
			X500Name subject = new X500Name("CN=" + commonName);
			Instant now = Instant.now();
			X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
					new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofDays(1))),
					Date.from(now.plus(Duration.ofDays(3650))), subject, keyPair.getPublic());
			List<GeneralName> names = new ArrayList<>();
			dnsNames.forEach((name) -> names.add(new GeneralName(GeneralName.dNSName, name)));
			ips.forEach((ip) -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
			if (!names.isEmpty()) {
				builder.addExtension(Extension.subjectAlternativeName, false,
						new GeneralNames(names.toArray(new GeneralName[0])));
			}
			builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
			builder.addExtension(Extension.keyUsage, true, new KeyUsage(
					server ? KeyUsage.digitalSignature : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
			builder.addExtension(Extension.extendedKeyUsage, false,
					new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
			ContentSigner signer = new JcaContentSignerBuilder(server ? "SHA256withECDSA" : "SHA256withRSA")
				.build(keyPair.getPrivate());
			X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
			return new SelfSignedCertificate(keyPair, certificate);
		}
		catch (GeneralSecurityException | OperatorCreationException ex) {
			throw new IllegalStateException("Cannot generate a self-signed certificate", ex);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	X509Certificate certificate() {
		return this.certificate;
	}

	PrivateKey privateKey() {
		return this.keyPair.getPrivate();
	}

	String certificatePem() {
		try {
			return pem("CERTIFICATE", this.certificate.getEncoded());
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Return the private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}).
	 */
	String privateKeyPem() {
		return pem("PRIVATE KEY", this.keyPair.getPrivate().getEncoded());
	}

	/**
	 * Return a server-side context presenting this certificate. The key goes to the
	 * context as it is: a PKCS#12 key store would encrypt it with a password-based cipher
	 * (10,000 PBKDF2 rounds) only for the key manager factory to decrypt it again, about
	 * 100 ms of interpreted code on the start's critical path (bench/README.md).
	 */
	SSLContext serverSslContext() {
		try {
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(new KeyManager[] { new OwnKeyManager(this.keyPair.getPrivate(), this.certificate) }, null,
					null);
			return context;
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("Cannot build the server TLS context", ex);
		}
	}

	/**
	 * Return a client-side context trusting this certificate and nothing else.
	 */
	SSLContext clientSslContext() {
		try {
			KeyStore store = KeyStore.getInstance("PKCS12");
			store.load(null, null);
			store.setCertificateEntry("simulator", this.certificate);
			TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			factory.init(store);
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(null, factory.getTrustManagers(), null);
			return context;
		}
		catch (GeneralSecurityException | IOException ex) {
			throw new IllegalStateException("Cannot build the client TLS context", ex);
		}
	}

	/**
	 * Presents one key and its certificate to every peer that accepts the key's type, and
	 * nothing as a client.
	 */
	private static final class OwnKeyManager extends X509ExtendedKeyManager {

		private static final String ALIAS = "simulator";

		private final PrivateKey key;

		private final X509Certificate certificate;

		OwnKeyManager(PrivateKey key, X509Certificate certificate) {
			this.key = key;
			this.certificate = certificate;
		}

		@Override
		public String[] getServerAliases(String keyType, Principal[] issuers) {
			return matches(keyType) ? new String[] { ALIAS } : null;
		}

		@Override
		public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
			return matches(keyType) ? ALIAS : null;
		}

		@Override
		public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
			return matches(keyType) ? ALIAS : null;
		}

		@Override
		public String[] getClientAliases(String keyType, Principal[] issuers) {
			return null;
		}

		@Override
		public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
			return null;
		}

		@Override
		public X509Certificate[] getCertificateChain(String alias) {
			return ALIAS.equals(alias) ? new X509Certificate[] { this.certificate } : null;
		}

		@Override
		public PrivateKey getPrivateKey(String alias) {
			return ALIAS.equals(alias) ? this.key : null;
		}

		private boolean matches(String keyType) {
			return this.key.getAlgorithm().equals(keyType);
		}

	}

	private static String pem(String type, byte[] der) {
		String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
		return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
	}

	@Override
	public String toString() {
		return "SelfSignedCertificate[" + this.certificate.getSubjectX500Principal().getName() + "]";
	}

}
