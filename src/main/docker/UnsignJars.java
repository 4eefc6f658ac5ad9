import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Verifies each signed jar given, then rewrites it without its signature: the JVM's AOT
 * cache (JEP 483) leaves out every class of a signed jar ("Skipping ...: Signed JAR"), so
 * Azure's and Bouncy Castle's classes were loaded from their jars and their digests checked
 * on every start (docs/deploy.md, "The image"; bench/README.md, "Start").
 * <p>
 * The signatures are checked here, once, when the image is built, and more fully than the
 * JVM checks them: every entry of the jar but the manifest and the signature files must be
 * signed and match its digest, resources and versioned classes included (the JVM checks
 * only the classes it loads, and a jar signature on the class path names no trusted signer in
 * any case). A jar that fails stops the build. An unsigned jar is left as it is. The
 * manifest keeps its main attributes; the per-entry digests go with the signature.
 * <p>
 * Run with the JDK's source launcher: {@code java UnsignJars.java lib/*.jar}.
 */
public final class UnsignJars {

	/** The signature files, as {@code JarFile} tells them: the manifest aside, what jarsigner does not sign. */
	private static final Pattern SIGNATURE = Pattern.compile("META-INF/([^/]+\\.(SF|RSA|DSA|EC)|SIG-[^/]+)",
			Pattern.CASE_INSENSITIVE);

	private UnsignJars() {
	}

	public static void main(String[] args) throws IOException {
		int unsigned = 0;
		for (String arg : args) {
			Path jar = Path.of(arg);
			try {
				if (unsign(jar)) {
					unsigned++;
					System.out.println("UnsignJars: verified and unsigned " + jar.getFileName());
				}
			}
			catch (SecurityException ex) {
				System.err.println("UnsignJars: " + jar + " fails its signature: " + ex.getMessage());
				System.exit(1);
			}
		}
		System.out.println("UnsignJars: " + unsigned + " of " + args.length + " jars were signed");
	}

	/**
	 * @return whether the jar was signed (and is no longer)
	 * @throws SecurityException when an entry is unsigned or does not match its digest
	 */
	static boolean unsign(Path jar) throws IOException {
		List<String> entries = new ArrayList<>();
		try (JarFile file = new JarFile(jar.toFile(), true)) {
			boolean signed = file.stream().anyMatch((entry) -> SIGNATURE.matcher(entry.getName()).matches());
			if (!signed) {
				return false;
			}
			byte[] buffer = new byte[8192];
			for (Enumeration<JarEntry> all = file.entries(); all.hasMoreElements();) {
				JarEntry entry = all.nextElement();
				// reading an entry to its end checks its digest
				try (InputStream in = file.getInputStream(entry)) {
					while (in.read(buffer) != -1) {
						// read to the end
					}
				}
				if (!entry.isDirectory() && !entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)
						&& !SIGNATURE.matcher(entry.getName()).matches() && entry.getCodeSigners() == null) {
					throw new SecurityException("entry " + entry.getName() + " is not signed");
				}
				entries.add(entry.getName());
			}
			Path rewritten = Files.createTempFile(jar.getParent(), jar.getFileName().toString(), ".tmp");
			try (OutputStream out = Files.newOutputStream(rewritten); ZipOutputStream zip = new ZipOutputStream(out)) {
				for (String name : entries) {
					if (SIGNATURE.matcher(name).matches()) {
						continue;
					}
					JarEntry entry = file.getJarEntry(name);
					ZipEntry copy = new ZipEntry(name);
					copy.setTime(entry.getTime());
					zip.putNextEntry(copy);
					if (name.equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
						mainAttributesOnly(file.getManifest()).write(zip);
					}
					else {
						try (InputStream in = file.getInputStream(entry)) {
							in.transferTo(zip);
						}
					}
					zip.closeEntry();
				}
			}
			if (Files.getFileStore(jar).supportsFileAttributeView(PosixFileAttributeView.class)) {
				// a temporary file is the owner's only: the image's user must still read it
				Files.setPosixFilePermissions(rewritten, Files.getPosixFilePermissions(jar));
			}
			Files.move(rewritten, jar, StandardCopyOption.REPLACE_EXISTING);
		}
		return true;
	}

	private static Manifest mainAttributesOnly(Manifest manifest) {
		Manifest main = new Manifest();
		main.getMainAttributes().putAll((Attributes) manifest.getMainAttributes().clone());
		return main;
	}

}
