package com.acme.tokenbroker.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * Client certificates for tests outside this package: a self-signed certificate and a PEM
 * file holding it with its key, as azure-identity's certificate credential reads it.
 */
public final class ClientCertificates {

	private ClientCertificates() {
	}

	/**
	 * A client certificate written as PEM (key, then certificate).
	 *
	 * @param certificate the certificate, for registering the principal with the
	 * simulator
	 * @param pemFile the file holding key and certificate
	 */
	public record Written(X509Certificate certificate, Path pemFile) {
	}

	public static Written write(String commonName, Path directory) throws IOException {
		SelfSignedCertificate generated = SelfSignedCertificate.forClient(commonName);
		Path file = directory.resolve(commonName + ".pem");
		Files.writeString(file, generated.privateKeyPem() + generated.certificatePem());
		return new Written(generated.certificate(), file);
	}

}
