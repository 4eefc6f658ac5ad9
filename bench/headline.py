#!/usr/bin/env python3
"""The README's one line of headline figures, made from a bench/run results file (issue 14: the line comes from the file,
not from a hand).

  python3 bench/headline.py bench/results.json              prints the line
  python3 bench/headline.py bench/results.json --write      puts it in README.md, after the bench:headline marker
  python3 bench/headline.py bench/results.json --check      fails when README.md's line is not the file's (.ci/run)
"""
import json
import sys

MARKER = "<!-- bench:headline (written by bench/run from bench/results.json) -->"


def headline(r):
    hot, burst = r["hot_path"]["broker"], r["cold_burst"]
    pinned = (r["hot_path"].get("pinned") or {}).get("broker", hot)
    memory = r["footprint_10_services"]["memory_after_hot_path"]
    met = sum(1 for t in r.get("targets", []) if t["met"])
    return (f"Latest `bench/run` ({r['machine']['cores']} cores, {r['machine']['java']}): "
            f"{hot['requests_per_second']:,.0f} req/s for a cached token ({r['hot_path']['throughput_vs_nginx']}× nginx "
            f"serving the same body), p99 {pinned['p99_ms']} ms with server and load on separate cores; "
            f"{burst['upstream_token_calls']} upstream call for 1,000 concurrent cold requests (p99 {burst['p99_ms']} ms); "
            f"first token {r['footprint_10_services']['start_to_first_token_s']} s after start "
            f"({r['start']['broker_vs_plain_boot']}× a plain Boot app's start); {memory['rss_mib']} MiB resident after the "
            f"load (own memory {memory['rss_anon_mib']} MiB); {met} of {len(r.get('targets', []))} targets met.")


def main(argv):
    results = json.load(open(argv[1]))
    line = headline(results)
    if len(argv) == 2:
        print(line)
        return 0
    readme = open("README.md").read().split("\n")
    at = readme.index(MARKER)
    if argv[2] == "--check":
        if readme[at + 1] != line:
            print(f"README.md's headline is not {argv[1]}'s; run: python3 bench/headline.py {argv[1]} --write",
                  file=sys.stderr)
            return 1
        return 0
    readme[at + 1] = line
    open("README.md", "w").write("\n".join(readme))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
