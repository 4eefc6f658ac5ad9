package com.acme.tokenbroker.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import com.azure.core.credential.TokenCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * src/main/docker/UnsignJars.java, which the image's build runs on its dependencies (and
 * bench/run on the extracted jars): a signed jar is verified, every entry, and rewritten
 * without its signature and with the same classes; a jar that fails its signature stops
 * the build and is left as it was; an unsigned jar is not touched. Run as the build runs
 * it, with the JDK's source launcher, on azure-core's own signed jar.
 */
class UnsignJarsTests {

	private static final Path TOOL = Path.of("src/main/docker/UnsignJars.java");

	@TempDir
	Path directory;

	@Test
	void theImageBuildUnsignsTheExtractedDependencies() throws IOException {
		assertThat(DockerfileTests.instructions(DockerfileTests.DOCKERFILE)).anyMatch((instruction) -> instruction
			.contains("java src/main/docker/UnsignJars.java extracted/dependencies/lib/*.jar"));
	}

	@Test
	void aSignedJarIsVerifiedAndRewrittenWithTheSameClassesAndNoSignature() throws Exception {
		Path original = signedJar();
		Path jar = Files.copy(original, this.directory.resolve("azure-core.jar"));
		Set<PosixFilePermission> readable = PosixFilePermissions.fromString("rw-r--r--");
		Files.setPosixFilePermissions(jar, readable);

		Result result = run(jar);

		assertThat(result.exit()).as(result.output()).isZero();
		assertThat(result.output()).contains("verified and unsigned azure-core.jar");
		assertThat(names(jar)).noneMatch((name) -> name.matches("(?i)META-INF/[^/]+\\.(SF|RSA|DSA|EC)"));
		Map<String, byte[]> before = contents(original);
		Map<String, byte[]> after = contents(jar);
		before.keySet().removeIf((name) -> name.startsWith("META-INF/"));
		after.keySet().removeIf((name) -> name.startsWith("META-INF/"));
		assertThat(after.keySet()).isEqualTo(before.keySet()).isNotEmpty();
		before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));
		String title;
		try (JarFile file = new JarFile(original.toFile())) {
			title = file.getManifest().getMainAttributes().getValue("Implementation-Title");
		}
		try (JarFile file = new JarFile(jar.toFile(), true)) {
			assertThat(file.getManifest().getMainAttributes().getValue("Implementation-Title")).isEqualTo(title)
				.isNotBlank();
			assertThat(file.getManifest().getEntries()).isEmpty();
			JarEntry entry = file.getJarEntry(TokenCredential.class.getName().replace('.', '/') + ".class");
			try (InputStream in = file.getInputStream(entry)) {
				in.readAllBytes();
			}
			assertThat(entry.getCodeSigners()).isNull();
		}
		assertThat(Files.getPosixFilePermissions(jar)).isEqualTo(readable);
	}

	@Test
	void aJarThatFailsItsSignatureStopsTheBuildAndIsLeftAsItWas() throws Exception {
		Path jar = this.directory.resolve("tampered.jar");
		String tamperedClass = TokenCredential.class.getName().replace('.', '/') + ".class";
		try (ZipFile in = new ZipFile(signedJar().toFile());
				OutputStream file = Files.newOutputStream(jar);
				ZipOutputStream out = new ZipOutputStream(file)) {
			for (ZipEntry entry : Collections.list(in.entries())) {
				byte[] bytes = in.getInputStream(entry).readAllBytes();
				out.putNextEntry(new ZipEntry(entry.getName()));
				out.write(entry.getName().equals(tamperedClass) ? appendByte(bytes) : bytes);
				out.closeEntry();
			}
		}
		byte[] before = Files.readAllBytes(jar);

		Result result = run(jar);

		assertThat(result.exit()).isEqualTo(1);
		assertThat(result.output()).contains("tampered.jar fails its signature").contains(tamperedClass);
		assertThat(Files.readAllBytes(jar)).isEqualTo(before);
	}

	@Test
	void anUnsignedEntryAddedToASignedJarStopsTheBuild() throws Exception {
		Path jar = this.directory.resolve("added.jar");
		try (ZipFile in = new ZipFile(signedJar().toFile());
				OutputStream file = Files.newOutputStream(jar);
				ZipOutputStream out = new ZipOutputStream(file)) {
			for (ZipEntry entry : Collections.list(in.entries())) {
				out.putNextEntry(new ZipEntry(entry.getName()));
				out.write(in.getInputStream(entry).readAllBytes());
				out.closeEntry();
			}
			out.putNextEntry(new ZipEntry("META-INF/versions/17/com/azure/core/Added.class"));
			out.write(new byte[] { (byte) 0xCA, (byte) 0xFE });
			out.closeEntry();
		}

		Result result = run(jar);

		assertThat(result.exit()).isEqualTo(1);
		assertThat(result.output()).contains("added.jar fails its signature")
			.contains("META-INF/versions/17/com/azure/core/Added.class is not signed");
	}

	@Test
	void anUnsignedJarIsNotTouched() throws Exception {
		Path jar = this.directory.resolve("plain.jar");
		try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(file)) {
			out.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
			out.write("Manifest-Version: 1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			out.closeEntry();
			out.putNextEntry(new ZipEntry("a/B.class"));
			out.write(new byte[] { (byte) 0xCA, (byte) 0xFE });
			out.closeEntry();
		}
		byte[] before = Files.readAllBytes(jar);

		Result result = run(jar);

		assertThat(result.exit()).as(result.output()).isZero();
		assertThat(result.output()).contains("0 of 1 jars were signed");
		assertThat(Files.readAllBytes(jar)).isEqualTo(before);
	}

	private static Path signedJar() throws Exception {
		Path jar = Path.of(TokenCredential.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		assertThat(names(jar)).as("azure-core's jar is signed").anyMatch((name) -> name.endsWith(".SF"));
		return jar;
	}

	private static byte[] appendByte(byte[] bytes) {
		byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
		longer[bytes.length] = 1;
		return longer;
	}

	private static List<String> names(Path jar) throws IOException {
		try (ZipFile file = new ZipFile(jar.toFile())) {
			return Collections.list(file.entries()).stream().map(ZipEntry::getName).toList();
		}
	}

	private static Map<String, byte[]> contents(Path jar) throws IOException {
		Map<String, byte[]> contents = new TreeMap<>();
		try (ZipFile file = new ZipFile(jar.toFile())) {
			for (ZipEntry entry : Collections.list(file.entries())) {
				contents.put(entry.getName(), file.getInputStream(entry).readAllBytes());
			}
		}
		return contents;
	}

	private static Result run(Path jar) throws Exception {
		String java = ProcessHandle.current().info().command().orElseThrow();
		Process process = new ProcessBuilder(java, TOOL.toString(), jar.toString()).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		return new Result(process.exitValue(), output);
	}

	private record Result(int exit, String output) {
	}

}
