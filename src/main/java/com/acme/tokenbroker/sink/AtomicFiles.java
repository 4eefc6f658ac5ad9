package com.acme.tokenbroker.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replacing a file so that a reader sees the old content or the new, never a part: the
 * new content goes to a temporary file in the same directory (same file system), is
 * flushed to disk, given its mode, and renamed over the target ({@code rename(2)}, which
 * replaces a symbolic link at the target rather than following it). A failure at any step
 * deletes the temporary file.
 */
final class AtomicFiles {

	/** Until the content is complete, only the broker may read it. */
	private static final Set<PosixFilePermission> WHILE_WRITING = Set.of(PosixFilePermission.OWNER_READ,
			PosixFilePermission.OWNER_WRITE);

	private static final String TEMPORARY_SUFFIX = ".tmp";

	private AtomicFiles() {
	}

	/**
	 * @param target the file to replace
	 * @param content its new content
	 * @param permissions its mode
	 * @throws IOException when any step fails; the target is then unchanged
	 */
	static void replace(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
		Path directory = target.getParent();
		Path temporary = Files.createTempFile(directory, temporaryPrefix(target), TEMPORARY_SUFFIX,
				PosixFilePermissions.asFileAttribute(WHILE_WRITING));
		boolean moved = false;
		try {
			try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
					LinkOption.NOFOLLOW_LINKS)) {
				ByteBuffer buffer = ByteBuffer.wrap(content);
				while (buffer.hasRemaining()) {
					channel.write(buffer);
				}
				channel.force(true);
			}
			Files.setPosixFilePermissions(temporary, permissions);
			Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
			moved = true;
			syncDirectory(directory);
		}
		finally {
			if (!moved) {
				Files.deleteIfExists(temporary);
			}
		}
	}

	/**
	 * Delete the file, or the symbolic link at its place (never what a link points to).
	 * @param target the file
	 * @return whether there was one
	 * @throws IOException when it cannot be deleted
	 */
	static boolean remove(Path target) throws IOException {
		boolean removed = Files.deleteIfExists(target);
		if (removed) {
			syncDirectory(target.getParent());
		}
		return removed;
	}

	/**
	 * Delete what an earlier process left behind when it died between creating a
	 * temporary file and renaming it.
	 * @param target the file whose temporary files to delete
	 * @throws IOException when the directory cannot be read or a file deleted
	 */
	static void removeLeftovers(Path target) throws IOException {
		String glob = escape(temporaryPrefix(target)) + "*" + TEMPORARY_SUFFIX;
		try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(target.getParent(), glob)) {
			for (Path leftover : leftovers) {
				Files.deleteIfExists(leftover);
			}
		}
	}

	/** Hidden, and named after the target, so an operator sees whose it is. */
	private static String temporaryPrefix(Path target) {
		return "." + target.getFileName() + ".";
	}

	private static String escape(String literal) {
		return literal.replaceAll("([\\\\*?\\[\\]{},])", "\\\\$1");
	}

	/**
	 * Makes the rename itself durable. Not every file system lets a directory be opened
	 * for this; the rename has happened either way.
	 */
	private static void syncDirectory(Path directory) {
		try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
			channel.force(true);
		}
		catch (IOException ex) {
			// the content is on disk and renamed; only durability across a crash is lost
		}
	}

}
