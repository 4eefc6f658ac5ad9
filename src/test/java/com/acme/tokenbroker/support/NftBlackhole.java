package com.acme.tokenbroker.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A kernel blackhole for one loopback TCP port: while {@link #drop() dropping}, every
 * packet to or from {@code 127.0.0.1:port} is discarded as it arrives, so connections
 * through the port see neither a refusal nor a reset, only silence, as behind a firewall
 * that drops packets or a host that lost power. Sending still succeeds: the drop is on
 * the receiving side ({@code input} hook), as it would be on a remote host.
 * <p>
 * The rules live in an nftables table of their own
 * ({@code inet tokenbroker_test_<random>}), so no other table or rule is touched, and the
 * table is deleted on {@link #close()} and, should the test JVM stop first, by a shutdown
 * hook. Needs the {@code nft} binary and CAP_NET_ADMIN (root): see
 * {@link RequiresNftables}.
 */
public final class NftBlackhole implements AutoCloseable {

	private static final List<String> NFT_LOCATIONS = List.of("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft");

	/** Why nftables cannot be used here, empty when it can; probed once per JVM. */
	private static String unusable;

	private final String nft;

	private final String table;

	private final int port;

	private final Thread cleanup;

	private boolean closed;

	private NftBlackhole(String nft, int port) {
		this.nft = nft;
		this.port = port;
		this.table = "tokenbroker_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
		this.cleanup = new Thread(this::deleteTable, "nft-blackhole-cleanup");
	}

	/**
	 * @return why nftables cannot be used here, or {@code null} when a table could be
	 * added and deleted
	 */
	static synchronized String unusableBecause() {
		if (unusable == null) {
			String reason = probe();
			unusable = (reason != null) ? reason : "";
		}
		return unusable.isEmpty() ? null : unusable;
	}

	private static String probe() {
		if (!"Linux".equals(System.getProperty("os.name"))) {
			return "not Linux";
		}
		String nft = nftBinary();
		if (nft == null) {
			return "no nft binary in " + NFT_LOCATIONS + " or on the PATH";
		}
		String probe = "tokenbroker_probe_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
		Result added = run(nft, "add table inet " + probe + "\n");
		if (added.exit() != 0) {
			return "nft could not add a table ("
					+ added.output().strip().lines().findFirst().orElse("exit " + added.exit()) + ")";
		}
		run(nft, "delete table inet " + probe + "\n");
		return null;
	}

	/**
	 * Prepares (but does not start) a blackhole for one loopback port.
	 * @param port the port
	 * @return the blackhole, not yet dropping
	 */
	public static NftBlackhole forLoopbackPort(int port) {
		String nft = nftBinary();
		if (nft == null) {
			throw new IllegalStateException("no nft binary; see @RequiresNftables");
		}
		NftBlackhole blackhole = new NftBlackhole(nft, port);
		Runtime.getRuntime().addShutdownHook(blackhole.cleanup);
		blackhole.apply("""
				table inet %1$s {
					chain input {
						type filter hook input priority filter - 1; policy accept;
					}
				}
				""".formatted(blackhole.table));
		return blackhole;
	}

	public int port() {
		return this.port;
	}

	/**
	 * Start dropping every packet to and from the port.
	 * @return when the packets started to drop ({@link System#nanoTime()})
	 */
	public synchronized long drop() {
		apply("""
				flush chain inet %1$s input
				add rule inet %1$s input iifname "lo" ip daddr 127.0.0.1 tcp dport %2$d drop
				add rule inet %1$s input iifname "lo" ip saddr 127.0.0.1 tcp sport %2$d drop
				""".formatted(this.table, this.port));
		return System.nanoTime();
	}

	/** Let packets through again. */
	public synchronized void lift() {
		apply("flush chain inet %s input\n".formatted(this.table));
	}

	@Override
	public synchronized void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		deleteTable();
		try {
			Runtime.getRuntime().removeShutdownHook(this.cleanup);
		}
		catch (IllegalStateException ex) {
			// the JVM is already shutting down; the hook deletes the table (again)
		}
	}

	private void deleteTable() {
		Result result = run(this.nft, "delete table inet " + this.table + "\n");
		if (result.exit() != 0 && !result.output().contains("No such file or directory")) {
			System.err.println("Could not delete nftables table inet " + this.table + ": " + result.output().strip());
		}
	}

	private void apply(String script) {
		Result result = run(this.nft, script);
		if (result.exit() != 0) {
			throw new IllegalStateException("nft -f - failed (" + result.exit() + "): " + result.output().strip());
		}
	}

	private static String nftBinary() {
		List<String> candidates = new ArrayList<>(NFT_LOCATIONS);
		String path = System.getenv("PATH");
		if (path != null) {
			for (String dir : path.split(java.io.File.pathSeparator)) {
				if (!dir.isEmpty()) {
					candidates.add(dir + "/nft");
				}
			}
		}
		return candidates.stream()
			.filter((candidate) -> Files.isExecutable(Path.of(candidate)))
			.findFirst()
			.orElse(null);
	}

	/** Runs {@code nft -f -} with the script on its standard input. */
	private static Result run(String nft, String script) {
		try {
			Process process = new ProcessBuilder(nft, "-f", "-").redirectErrorStream(true).start();
			try (OutputStream in = process.getOutputStream()) {
				in.write(script.getBytes(StandardCharsets.UTF_8));
			}
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				return new Result(-1, "nft did not finish within 10 s");
			}
			return new Result(process.exitValue(), output);
		}
		catch (IOException ex) {
			return new Result(-1, ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return new Result(-1, "interrupted");
		}
	}

	private record Result(int exit, String output) {
	}

}
