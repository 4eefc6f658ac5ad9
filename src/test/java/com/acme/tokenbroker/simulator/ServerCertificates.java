package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;

import com.acme.tokenbroker.support.SecretLedger;

/**
 * Server certificates for tests outside this package (SAN {@code localhost} and
 * {@code 127.0.0.1}), written as the PEM files a Spring SSL bundle reads: the certificate
 * and its private key apart, as a Kubernetes TLS Secret mounts them. Every private key is
 * recorded as a secret the run's log must not show.
 */
public final class ServerCertificates {

	private ServerCertificates() {
	}

	/**
	 * Generate a certificate and replace {@code tls.crt} and {@code tls.key} in the
	 * directory with it, each file by an atomic move, so a watcher never reads half a
	 * file.
	 * @param directory where the files go
	 * @return the certificate written
	 */
	public static X509Certificate write(Path directory) throws IOException {
		SelfSignedCertificate generated = SelfSignedCertificate.forLocalhost();
		String key = generated.privateKeyPem();
		SecretLedger.record(key);
		key.lines().filter((line) -> !line.startsWith("-----") && line.length() >= 16).forEach(SecretLedger::record);
		replace(directory.resolve("tls.key"), key);
		replace(directory.resolve("tls.crt"), generated.certificatePem());
		return generated.certificate();
	}

	private static void replace(Path file, String content) throws IOException {
		Path temporary = Files.createTempFile(file.getParent(), ".", ".tmp");
		Files.writeString(temporary, content);
		Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

}
