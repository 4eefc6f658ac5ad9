"""The deployment modes compared (docs/deploy.md, "Memory and upstream calls, by mode"): broker memory and upstream
calls for a cluster of 50 pods on 5 nodes calling 10 services, computed from the measured figures of one bench/run,
not measured in a cluster.

Inputs, from bench/run's results (target/bench/results.json):
- results["footprint_10_services"]["memory_after_hot_path"]: one broker with 10 services after the hot path,
  {"rss_mib", "rss_anon_mib", "rss_file_mib"} and optionally "pss_mib". RssAnon is the broker's own memory (heap,
  metaspace, code cache, thread stacks, malloc); RssFile is mapped files (the JVM's libraries, the AOT cache, the
  jars), which every broker started from the same image on the same node maps from the same page cache.
- results["fleet"]: upstream calls of bench/fleet, "instances" brokers x "services" services over "virtual_hours"
  hours, "alone" (fleet mode off) and "shared" (fleet mode on), each with cold_token_calls, cold_metadata_calls,
  token_calls_per_hour, metadata_calls_per_hour.

Model:
- memory = brokers x own memory + nodes running a broker x mapped files (each node's page cache holds the image's
  files once, however many brokers map them). Sidecars: one broker per pod, on every node; node mode: one per node;
  standalone: its replicas, one per node (the chart spreads them).
- requested = brokers x the chart's memory request (what the scheduler sets aside).
- fleet off: every broker fetches every service itself, so calls = brokers x services x the measured calls per broker
  and service; fleet on: one fetch per service for the whole fleet, so calls = services x the measured calls per
  service, whatever the number of brokers (bench/fleet measures it with 20).

Usage: python3 bench/modes.py [target/bench/results.json | bench/results.md]   (prints the table; default: the first
that exists). bench/run's results get deployment_modes(results) under "deployment_modes" and markdown(...) in
results.md. Tests: python3 -m unittest discover -s bench -p 'test_*.py'.
"""

import json
import os
import re
import sys

SERVICES = 10
"""The services each broker serves: the footprint was measured with 10, and every pod calls the same catalog."""


def deployment_modes(results, pods=50, nodes=5, standalone_replicas=2, memory_request_mib=320):
    """Memory and upstream calls of each deployment mode for `pods` pods on `nodes` nodes, 10 services each, from the
    bench's results dict (see the module's docstring). Returns a JSON-ready dict: the assumptions, the measured inputs
    and per-call rates, and one entry per mode under "modes" (each mode's chart default first)."""
    memory = results["footprint_10_services"]["memory_after_hot_path"]
    own = float(memory["rss_anon_mib"])
    files = float(memory["rss_file_mib"])
    fleet = results["fleet"]
    instances, fleet_services = int(fleet["instances"]), int(fleet["services"])
    alone, shared = fleet["alone"], fleet["shared"]
    # Calls per broker and service with fleet mode off; per service for the whole fleet with it on.
    rates = {
        "alone_per_broker_and_service": {
            "token_calls_cold_start": alone["cold_token_calls"] / (instances * fleet_services),
            "token_calls_per_hour": alone["token_calls_per_hour"] / (instances * fleet_services),
            "metadata_reads_cold_start": alone["cold_metadata_calls"] / (instances * fleet_services),
            "metadata_reads_per_hour": alone["metadata_calls_per_hour"] / (instances * fleet_services),
        },
        "shared_per_service": {
            "token_calls_cold_start": shared["cold_token_calls"] / fleet_services,
            "token_calls_per_hour": shared["token_calls_per_hour"] / fleet_services,
            "metadata_reads_cold_start": shared["cold_metadata_calls"] / fleet_services,
            "metadata_reads_per_hour": shared["metadata_calls_per_hour"] / fleet_services,
        },
    }

    def mode(name, label, brokers, nodes_with_broker, fleet_on, chart_default):
        calls = {key: (rate * SERVICES if fleet_on else rate * brokers * SERVICES)
                 for key, rate in rates["shared_per_service" if fleet_on else "alone_per_broker_and_service"].items()}
        return {
            "mode": name,
            "label": label,
            "fleet": fleet_on,
            "chart_default": chart_default,
            "brokers": brokers,
            "nodes_with_broker": nodes_with_broker,
            "memory_mib": round(brokers * own + nodes_with_broker * files, 1),
            "memory_per_node_mib": round((brokers / nodes_with_broker) * own + files, 1),
            "memory_requested_mib": brokers * memory_request_mib,
            **{key: round(value, 1) for key, value in calls.items()},
        }

    pods_per_node = pods / nodes
    modes = [
        mode("sidecar", "sidecar, fleet off (default)", pods, min(pods, nodes), False, True),
        mode("sidecar", "sidecar, fleet on", pods, min(pods, nodes), True, False),
        mode("node", "node, fleet on (default)", nodes, nodes, True, True),
        mode("node", "node, fleet off", nodes, nodes, False, False),
        mode("standalone", f"standalone, {standalone_replicas} replicas, fleet on", standalone_replicas,
             min(standalone_replicas, nodes), True, False),
    ]
    return {
        "pods": pods,
        "nodes": nodes,
        "pods_per_node": pods_per_node,
        "services": SERVICES,
        "standalone_replicas": standalone_replicas,
        "memory_request_mib": memory_request_mib,
        "measured": {
            "own_memory_mib": own,
            "mapped_files_mib": files,
            "rss_mib": memory.get("rss_mib"),
            "pss_mib": memory.get("pss_mib"),
            "fleet_instances": instances,
            "fleet_services": fleet_services,
            "fleet_virtual_hours": fleet.get("virtual_hours"),
        },
        "rates": {group: {key: round(value, 3) for key, value in values.items()} for group, values in rates.items()},
        "unit": "MiB resident; upstream calls (counts)",
        "modes": modes,
    }


def markdown(modes):
    """The table of deployment_modes(...)'s result, with its assumptions, as Markdown."""
    m = modes["measured"]
    lines = [
        f"Deployment modes: {modes['pods']} pods on {modes['nodes']} nodes, {modes['services']} services each, "
        f"computed from one broker's measured memory (own {m['own_memory_mib']} MiB + mapped files "
        f"{m['mapped_files_mib']} MiB, counted once per node) and the fleet figure's calls ({m['fleet_instances']} "
        f"instances x {m['fleet_services']} services); requested: {modes['memory_request_mib']} Mi per broker "
        "(the chart's default)",
        "",
        "| mode | brokers | broker memory | per node | requested | token calls, cold start | token calls per hour "
        "| metadata reads, cold start | metadata reads per hour |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in modes["modes"]:
        lines.append(
            f"| {row['label']} | {row['brokers']} | {_mib(row['memory_mib'])} | {_mib(row['memory_per_node_mib'])} "
            f"| {_mib(row['memory_requested_mib'])} | {_count(row['token_calls_cold_start'])} "
            f"| {_count(row['token_calls_per_hour'])} | {_count(row['metadata_reads_cold_start'])} "
            f"| {_count(row['metadata_reads_per_hour'])} |")
    return "\n".join(lines) + "\n"


def _mib(value):
    return f"{value:,.0f} MiB"


def _count(value):
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def results_from_markdown(text):
    """The inputs deployment_modes needs, read back from a bench/results.md (the committed latest figures)."""
    memory = re.search(r"\| RSS after the hot path, 10 services \| ([\d.]+) MiB \(own memory ([\d.]+) MiB, "
                       r"mapped files ([\d.]+) MiB", text)
    header = re.search(r"Fleet: (\d+) instances x (\d+) services, ([\d.]+) h", text)
    if not memory or not header:
        raise ValueError("not a bench/results.md with the footprint and fleet figures")

    def row(name):
        found = re.search(r"\| " + re.escape(name) + r" \| ([\d.]+) \| ([\d.]+) \|", text)
        if not found:
            raise ValueError(f"no fleet row {name!r}")
        return float(found.group(1)), float(found.group(2))

    rows = {key: row(name) for key, name in (
        ("cold_token_calls", "token calls, cold start"), ("cold_metadata_calls", "metadata reads, cold start"),
        ("token_calls_per_hour", "token calls per hour"), ("metadata_calls_per_hour", "metadata reads per hour"))}
    return {
        "footprint_10_services": {"memory_after_hot_path": {
            "rss_mib": float(memory.group(1)), "rss_anon_mib": float(memory.group(2)),
            "rss_file_mib": float(memory.group(3))}},
        "fleet": {
            "instances": int(header.group(1)), "services": int(header.group(2)),
            "virtual_hours": float(header.group(3)),
            "alone": {key: values[0] for key, values in rows.items()},
            "shared": {key: values[1] for key, values in rows.items()},
        },
    }


BEGIN = "<!-- bench:modes (written by bench/run from bench/results.json) -->"
END = "<!-- /bench:modes -->"


def main(argv):
    """Prints the table; with --write FILE puts it in FILE between the bench:modes markers, with --check FILE fails
    when FILE's table is not this one (.ci/run, for docs/deploy.md)."""
    args = argv[1:]
    action = None
    if len(args) >= 2 and args[-2] in ("--write", "--check"):
        action, target = args[-2], args[-1]
        args = args[:-2]
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = args or [os.path.join(here, "..", "target", "bench", "results.json"),
                          os.path.join(here, "results.md")]
    source = next((path for path in candidates if os.path.exists(path)), None)
    if source is None:
        print(f"none of {candidates} exists", file=sys.stderr)
        return 1
    with open(source) as file:
        results = json.load(file) if source.endswith(".json") else results_from_markdown(file.read())
    table = markdown(deployment_modes(results))
    if action is None:
        print(table, end="")
        return 0
    with open(target) as file:
        text = file.read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    written = text[:start] + "\n" + table + text[end:]
    if action == "--check":
        if written != text:
            print(f"{target}'s table by mode is not {source}'s; run: python3 bench/modes.py {source} --write {target}",
                  file=sys.stderr)
            return 1
        return 0
    with open(target, "w") as file:
        file.write(written)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
