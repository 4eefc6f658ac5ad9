#!/usr/bin/env python3
"""The broker's benchmark, in one go, on this machine, against the embedded simulated workspace.

Runs (each figure with its unit goes to target/bench/results.json, and a table to target/bench/results.md):
  hot path      wrk, 32 connections, on GET /tokens/{service} with a valid caller JWT on a cached token; the same load
                on nginx serving the identical JSON body (the ceiling) and on the broker's own liveness endpoint (the
                framework floor: same server, no auth, no cache)
  cold burst    1,000 requests at once (ApacheBench, one new connection each) for an uncached service: upstream token
                calls and latency; the same burst on nginx serving the token body (the client's and the kernel's share)
  refresh       p99 while refresh-ahead happens under load, against the steady p99
  footprint     process start to first token served, RSS idle and after the hot path (and its anonymous and file-backed
                parts), with 10 and 10,000 services; the same start as `java -jar` on the fat jar; and a plain Spring
                Boot app with the same starters, start to ready

On Java 25+ the brokers start as the container image starts the broker: extracted jars and an AOT cache made by a
training run first (prepare_launch); on older runtimes, the fat jar.
  budget        1,000 services warming at start: the most upstream calls in any one-second window vs the configured rate
  proxy         POST /services/{service} (the injecting proxy) against POST to the service's scoring URI with the served
                credential, small and 1 MB bodies: p50 at 1 connection, throughput at 32 (a broker of its own)

Only loopback addresses are used. Every process started here is stopped before the script ends.
"""
import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HOT_SERVICE = "fraud-scoring"
WRK_CONNECTIONS = 32
WRK_THREADS = 2
BURST = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, headers=None, timeout=30):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, b""


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def memory_mib(pid):
    """VmRSS and its two parts: RssAnon (the process's own memory) and RssFile (mapped files: the JVM's libraries, the
    AOT cache, jars; shared with other processes that map the same files)."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name = line.split(":")[0]
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = round(int(line.split()[1]) / 1024, 1)
    memory = {"rss_mib": fields.get("VmRSS"), "rss_anon_mib": fields.get("RssAnon"), "rss_file_mib": fields.get("RssFile")}
    # PSS: each shared page divided by the number of processes mapping it, so N sidecars of one image on a node add up
    # to their own memory plus the shared files once.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name = line.split(":")[0]
                if name in ("Pss", "Pss_Anon", "Pss_File"):
                    memory[{"Pss": "pss_mib", "Pss_Anon": "pss_anon_mib", "Pss_File": "pss_file_mib"}[name]] = \
                        round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return memory


def java_feature(java):
    """The runtime's feature release (17, 21, 25, ...)."""
    version = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True).stderr
    return int(re.search(r"java\.specification\.version = (\d+)", version).group(1))


def spring_aot(jar):
    """Whether the jar holds Spring AOT's generated initializer (spring-boot:process-aot)."""
    import zipfile
    with zipfile.ZipFile(jar) as archive:
        return any(name.endswith("__ApplicationContextInitializer.class") for name in archive.namelist())


def prepare_launch(java, fat_jar, out, jvm):
    """How the brokers are started: on Java 25+, the way the container image starts it (docs/deploy.md, "The image"): the
    application extracted into plain jars and an AOT cache (JEP 483, 514, 515) from a training run of the broker on
    the simulator that serves a first token and a short hot-path load, made with the same JVM flags; on older runtimes
    the fat jar. Returns (the words naming the application, extra JVM flags, a description)."""
    if java_feature(java) < 25:
        return ["-jar", fat_jar], [], "fat jar (no AOT cache before Java 25)"
    app = os.path.join(out, "app")
    shutil.rmtree(app, ignore_errors=True)
    subprocess.run([java, "-Djarmode=tools", "-jar", fat_jar, "extract", "--destination", app], check=True,
                   stdout=subprocess.DEVNULL)
    # as the image's build does: signed jars' classes are left out of an AOT cache (docs/deploy.md, "The image")
    libs = sorted(os.path.join(app, "lib", name) for name in os.listdir(os.path.join(app, "lib")))
    subprocess.run([java, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "docker",
                                       "UnsignJars.java"), *libs], check=True, stdout=subprocess.DEVNULL)
    jar = os.path.join(app, os.path.basename(fat_jar))
    cache = os.path.join(out, "app.aot")
    if os.path.exists(cache):
        os.remove(cache)
    training = Broker(java, ["-jar", jar], out, "broker-aot-training", ["--broker.tokens.warm-up=true"],
                      [*jvm, f"-XX:AOTCacheOutput={cache}"]).start()
    try:
        training.first_token_seconds()
        token = training.caller_token()
        wrk(training.url(f"/tokens/{HOT_SERVICE}"), 3, token)
        wrk(training.url(f"/tokens/{HOT_SERVICE}"), 2, token, accept="*/*")
    finally:
        training.stop(timeout=300)
    # the JVM hands the cache's assembly to a child JVM at exit: wait until no process names the cache any more
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and subprocess.run(["pgrep", "-f", cache], capture_output=True).returncode == 0:
        time.sleep(0.5)
    if not os.path.exists(cache) or os.path.getsize(cache) == 0:
        raise RuntimeError("the AOT training run wrote no cache; see broker-aot-training.log")
    return ["-jar", jar], [f"-XX:AOTCache={cache}"], "extracted jars + AOT cache from a training run (as the image)"


def services_yaml(path, count, prefix="svc", required=False, auth_mode=None, services_file=False):
    """Extra services for the simulator profile's demo workspace, as an additional config file (broker.services) or,
    with services_file, as a file for broker.services-file (the same services, out of Spring's Environment)."""
    indent = "  " if services_file else "    "
    with open(path, "w") as out:
        out.write("services:\n" if services_file else "broker:\n  services:\n")
        for i in range(count):
            out.write(f"{indent}{prefix}-{i}:\n{indent}  workspace: demo-weu\n{indent}  required: {str(required).lower()}\n")
            if auth_mode:
                out.write(f"{indent}  auth-mode: {auth_mode}\n")


class Broker:
    """The broker jar on the simulator profile, on free loopback ports."""

    def __init__(self, java, jar, out, name, args=(), jvm=()):
        """jar: the command-line words that name the application after the JVM flags, e.g. ["-jar", "app.jar"]."""
        self.java, self.jar, self.out, self.name = java, list(jar), out, name
        self.port, self.management = free_port(), free_port()
        self.args, self.jvm = list(args), list(jvm)
        self.process = None
        self.started = None

    def start(self):
        log = open(os.path.join(self.out, f"{self.name}.log"), "w")
        command = [self.java, *self.jvm, *self.jar, "--spring.profiles.active=simulator",
                   f"--server.port={self.port}", f"--management.server.port={self.management}", *self.args]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        return self

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def caller_token(self, subject="demo-app"):
        status, body = http("POST", self.url(f"/simulator/caller-tokens?subject={subject}"))
        return json.loads(body)["accessToken"] if status == 200 else None

    def first_token_seconds(self, service=HOT_SERVICE, limit=180):
        """Seconds from process start to the first token served (polling every 20 ms)."""
        while time.monotonic() - self.started < limit:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.name}.log")
            token = self.caller_token()
            if token:
                status, _ = http("GET", self.url(f"/tokens/{service}"), {"Authorization": f"Bearer {token}"})
                if status == 200:
                    return round(time.monotonic() - self.started, 3)
            time.sleep(0.02)
        raise RuntimeError(f"{self.name}: no token within {limit} s")

    def calls(self):
        status, body = http("GET", self.url("/simulator/calls"))
        counts = json.loads(body) if status == 200 else {}
        return sum(v for region in counts.values() if isinstance(region, dict) for v in region.values())

    def token_json(self, service, token):
        status, body = http("GET", self.url(f"/tokens/{service}"), {"Authorization": f"Bearer {token}"})
        if status != 200:
            raise RuntimeError(f"GET /tokens/{service}: {status}")
        return body

    def ready(self):
        return http("GET", f"http://127.0.0.1:{self.management}/actuator/health/readiness")[0] == 200

    def rss(self):
        return rss_mib(self.process.pid)

    def memory(self):
        return memory_mib(self.process.pid)

    def stop(self, timeout=20):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def to_ms(value):
    match = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    return round(float(match.group(1)) * UNITS[match.group(2)], 3)


def wrk(url, seconds, token=None, accept="application/json", cpus=None, connections=WRK_CONNECTIONS, script=None):
    """cpus: the CPU list wrk is pinned to (taskset), or None to run it where the scheduler puts it. script: a wrk Lua
    script (e.g. post_script's POST with a body)."""
    threads = min(WRK_THREADS, connections)
    command = (["taskset", "-c", cpus] if cpus else []) + ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Accept: {accept}"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", script]
    return parse_wrk(subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout)


def parse_wrk(output):
    """requests_per_second, p50_ms, p99_ms, max_ms, non_2xx and socket_errors of wrk --latency's output."""
    result = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    result["max_ms"] = to_ms(latency.group(3))
    for percentile in ("50", "99"):
        result[f"p{percentile}_ms"] = to_ms(re.search(rf"\s{percentile}%\s+(\S+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = errors.group(1) if errors else "none"
    return result


def pin(pid, cpus):
    """Pins every thread of a running process (taskset -a) to a CPU list."""
    subprocess.run(["taskset", "-a", "-cp", cpus, str(pid)], check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def serving_nginx(out, body, cpus=None, worker_connections=1024, backlog=None):
    """nginx (one worker, optionally on `cpus`) serving `body` as a static JSON file, checked to serve it; yields its
    URL and stops it after."""
    root = tempfile.mkdtemp(dir=out, prefix="nginx-")
    # nginx's worker runs as nobody when started as root: mkdtemp's 0700 would make every answer a 403 error page
    os.chmod(root, 0o755)
    with open(os.path.join(root, "token.json"), "wb") as file:
        file.write(body)
    port = free_port()
    listen = f"127.0.0.1:{port}" + (f" backlog={backlog}" if backlog else "")
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as file:
        file.write(f"""worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  server {{
    listen {listen};
    location = /token.json {{ root {root}; default_type application/json; add_header Cache-Control no-store; }}
  }}
}}
""")
    process = subprocess.Popen((["taskset", "-c", cpus] if cpus else []) + ["nginx", "-c", conf, "-p", root],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/token.json"
    try:
        for _ in range(100):
            if http("GET", url)[0] == 200:
                break
            time.sleep(0.05)
        status, served = http("GET", url)
        if status != 200 or served != body:
            raise RuntimeError(f"nginx does not serve the token body (status {status}); see {root}/error.log")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def nginx_ceiling(out, body, seconds, cpus=None, wrk_cpus=None):
    with serving_nginx(out, body, cpus) as url:
        wrk(url, 3, cpus=wrk_cpus)
        return wrk(url, seconds, cpus=wrk_cpus)


def ab_burst(url, headers=(), concurrency=BURST):
    """One request on each of `concurrency` connections opened at once, by ApacheBench: one C event loop that issues
    every connect before reading any answer. (A pool of 1,000 Python threads, the client before, passed its barrier
    over 0.6 to 1.6 s under the GIL, so its "burst" reached the server spread out and mostly one at a time.) Latency is
    ab's per request, from its connect to the answer's last byte, in whole milliseconds (ab's own percentile file
    reads past its array for fewer than 100 requests)."""
    with tempfile.NamedTemporaryFile(suffix=".tsv") as timings:
        # -l: answers differ in length (tokens do); without it ab counts each as failed
        command = ["ab", "-q", "-l", "-n", str(concurrency), "-c", str(concurrency), "-s", "60", "-g", timings.name]
        for header in headers:
            command += ["-H", header]
        output = subprocess.run(command + [url], capture_output=True, text=True)
        if output.returncode != 0:
            raise RuntimeError(f"ab failed: {output.stderr.strip()}")
        with open(timings.name) as file:
            # one line per request (after a header): its total time in whole ms is the fifth column
            latencies = sorted(int(line.split("\t")[4]) for line in list(file)[1:])
    if len(latencies) != concurrency:
        raise RuntimeError(f"ab recorded {len(latencies)} of {concurrency} requests: {output.stdout.strip()}")

    def count(label):
        match = re.search(rf"^{label}:\s+(\d+)", output.stdout, re.M)
        return int(match.group(1)) if match else 0

    return {"requests": concurrency, "ok": count("Complete requests") - count("Failed requests")
            - count("Non-2xx responses"), "p50_ms": latencies[len(latencies) // 2],
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1], "max_ms": latencies[-1]}


def cold_burst(broker, service):
    """1,000 requests at once for a service not yet cached, with a caller token never seen: the upstream token calls
    they caused (single flight: one) and their latency."""
    token = broker.caller_token()
    before = broker.calls()
    burst = ab_burst(broker.url(f"/tokens/{service}"), [f"Authorization: Bearer {token}"])
    burst["upstream_token_calls"] = broker.calls() - before
    burst["client"] = "ApacheBench (ab), 1 request on each of 1,000 connections opened at once"
    return burst


def nginx_burst(out, body):
    """The same burst against nginx serving the token body as a static file, with a listen backlog equal to the
    broker's accept-count: what the client and the kernel's connection handling cost on this machine."""
    with serving_nginx(out, body, worker_connections=4096, backlog=1024) as url:
        burst = ab_burst(url)
    if burst["ok"] != burst["requests"]:
        raise RuntimeError(f"nginx answered {burst['ok']} of {burst['requests']} requests of the burst with 200")
    return burst


def budget(broker, services, rate, limit=600):
    """Sample the simulator's call counter every 100 ms from process start while the services warm; the most calls in
    any 1 s window."""
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if broker.process.poll() is not None:
            raise RuntimeError("the budget broker exited; see broker-budget.log")
        status, body = http("GET", broker.url("/simulator/calls"), timeout=2)
        if status == 200:
            counts = json.loads(body)
            calls = sum(v for region in counts.values() if isinstance(region, dict) for v in region.values())
            samples.append((time.monotonic(), calls))
            if calls >= services:
                break
        time.sleep(0.1)
    worst = 0
    for i, (t0, c0) in enumerate(samples):
        for t1, c1 in samples[i:]:
            if t1 - t0 <= 1.0:
                worst = max(worst, c1 - c0)
    return {"services": services, "configured_rate_per_second": rate, "token_calls": samples[-1][1] if samples else 0,
            "max_calls_in_any_second": worst, "warm_up_seconds": round(samples[-1][0] - started, 1) if samples else None}


# The simulator's example input, about 100 bytes, and a body just under the simulated scoring endpoint's 1 MiB limit.
PROXY_SMALL_BODY = b'{"data":[[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0],[1.0,0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.1]]}'
PROXY_LARGE_BYTES = 1_000_000


def scoring_body(size):
    """A JSON scoring body of exactly size bytes."""
    return b'{"data":"' + b"x" * (size - 11) + b'"}'


def post_script(out, name, body):
    """A wrk Lua script that POSTs body (written beside it) as JSON; wrk adds its Content-Length."""
    body_path = os.path.join(out, f"{name}.body")
    with open(body_path, "wb") as file:
        file.write(body)
    script = os.path.join(out, f"{name}.lua")
    with open(script, "w") as file:
        file.write(f"""local file = io.open("{body_path}", "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
""")
    return script


def post_status(url, body, token):
    """The status of one POST; the simulator's TLS certificate is its own, on loopback, so it is not verified."""
    import ssl
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30, context=ssl._create_unverified_context()) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def outlives(expires_at, seconds, now=None):
    """Whether an ISO-8601 instant (the broker's expiresAt) is more than seconds away."""
    import datetime
    expires = datetime.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (expires - now).total_seconds() > seconds


def proxy_comparison(direct, proxied):
    """One body size: direct and proxied runs at 1 connection (latency) and at WRK_CONNECTIONS (throughput), and what
    the proxy adds: p50 at 1 connection, throughput at full load."""
    return {
        "direct": direct, "proxy": proxied,
        "added_p50_ms": round(proxied["latency"]["p50_ms"] - direct["latency"]["p50_ms"], 3),
        "added_p99_ms": round(proxied["latency"]["p99_ms"] - direct["latency"]["p99_ms"], 3),
        "throughput_vs_direct": round(proxied["load"]["requests_per_second"]
                                      / direct["load"]["requests_per_second"], 3),
        "non_2xx": sum(run[key]["non_2xx"] for run in (direct, proxied) for key in ("latency", "load")),
    }


def proxy_headline(sizes):
    """The headline figures: the worse body size for each (the largest added p50, the lowest throughput ratio)."""
    latency = max(sizes, key=lambda name: sizes[name]["added_p50_ms"])
    throughput = min(sizes, key=lambda name: sizes[name]["throughput_vs_direct"])
    return {"added_p50_ms": sizes[latency]["added_p50_ms"], "added_p50_body": latency,
            "throughput_vs_direct": sizes[throughput]["throughput_vs_direct"], "throughput_body": throughput,
            "non_2xx": sum(size["non_2xx"] for size in sizes.values())}


def proxy_benchmark(broker, out, seconds, service=HOT_SERVICE):
    """The injecting proxy (POST /services/{service}) against calling the service's scoring URI directly with the
    credential the broker serves for it, same load, small and 1 MB bodies. The simulated scoring endpoint runs in the
    broker's JVM, so both sides share its CPU."""
    caller = broker.caller_token()
    served = json.loads(broker.token_json(service, caller))
    if served["tokenType"].lower() != "bearer":
        raise RuntimeError(f"{service}: token type {served['tokenType']}, expected Bearer")
    credential, direct_url, proxy_url = served["accessToken"], served["scoringUri"], broker.url(f"/services/{service}")
    # The direct runs reuse this one credential: it must outlive them (the simulator's tokens live 12.5 hours; a
    # refresh by the broker meanwhile leaves it valid).
    if not outlives(served["expiresAt"], 2 * (4 * seconds + 6) + 120):
        raise RuntimeError(f"{service}: the served credential expires at {served['expiresAt']}, before the runs end")
    results = {"service": service, "credential_type": served["credentialType"],
               "credential_expires_at": served["expiresAt"], "connections": {"latency": 1, "load": WRK_CONNECTIONS},
               "seconds": seconds}
    sizes = {}
    for name, body in (("small", PROXY_SMALL_BODY), ("large", scoring_body(PROXY_LARGE_BYTES))):
        script = post_script(out, f"proxy-{name}", body)
        for url, token in ((direct_url, credential), (proxy_url, caller)):
            status = post_status(url, body, token)
            if status != 200:
                raise RuntimeError(f"POST {'direct' if url == direct_url else 'through the proxy'} ({name} body): "
                                   f"{status}; see {broker.name}.log")
            wrk(url, 3, token, script=script)
        direct, proxied = {}, {}
        for key, connections in (("latency", 1), ("load", WRK_CONNECTIONS)):
            direct[key] = wrk(direct_url, seconds, credential, connections=connections, script=script)
            proxied[key] = wrk(proxy_url, seconds, caller, connections=connections, script=script)
        sizes[name] = {"body_bytes": len(body), **proxy_comparison(direct, proxied)}
    results.update(sizes)
    results.update(proxy_headline(sizes))
    return results


def proxy_targets(proxy):
    """Issue 16's proxy targets; a run with any non-2xx answer meets neither."""
    clean = proxy["non_2xx"] == 0
    rows = [
        (f"proxy.added_p50_ms ({proxy['added_p50_body']} body)", proxy["added_p50_ms"], "ms", "<= 1",
         clean and proxy["added_p50_ms"] <= 1),
        (f"proxy.throughput_vs_direct ({proxy['throughput_body']} body)", proxy["throughput_vs_direct"], "×", ">= 0.8",
         clean and proxy["throughput_vs_direct"] >= 0.8),
    ]
    return [{"measure": name, "value": value, "unit": unit, "target": target, "met": bool(met)}
            for name, value, unit, target, met in rows]


def proxy_markdown(proxy):
    lines = [f"Proxy (issue 16): POST /services/{proxy['service']} against POST to its scoring URI with the served "
             f"credential ({proxy['credential_type']}), {proxy['seconds']} s each, 1 connection for latency, "
             f"{proxy['connections']['load']} for throughput; the simulated scoring endpoint runs in the broker's JVM.",
             "", "| Body | Direct, 1 conn. | Proxy, 1 conn. | Direct, loaded | Proxy, loaded | Added p50 | Throughput |",
             "|---|---|---|---|---|---|---|"]
    for name in ("small", "large"):
        size = proxy[name]
        cells = [f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, {run['requests_per_second']:.0f} req/s"
                 for run in (size["direct"]["latency"], size["proxy"]["latency"], size["direct"]["load"],
                             size["proxy"]["load"])]
        lines.append(f"| {name}, {size['body_bytes']:,} B | {' | '.join(cells)} | {size['added_p50_ms']} ms | "
                     f"{size['throughput_vs_direct']}× |")
    if proxy["non_2xx"]:
        lines += ["", f"{proxy['non_2xx']} non-2xx answers during the proxy runs: its figures are not comparable."]
    return "\n".join(lines) + "\n"


def run_proxy(options, launch, jvm, out, brokers):
    """A broker of its own for the proxy benchmark, so its load leaves the other figures alone."""
    # The simulator's scoring endpoint is the JDK's HttpsServer, which writes an answer's headers and body apart without
    # TCP_NODELAY: a lone client then waits out its delayed ACK, about 40 ms a request, which real scoring endpoints do
    # not cost. The property is read by the simulator's server only (the broker's own servers are Tomcat's).
    broker = Broker(options.java, launch, out, "broker-proxy", ["--broker.tokens.warm-up=false", *options.broker_arg],
                    [*jvm, "-Dsun.net.httpserver.nodelay=true"]).start()
    brokers.append(broker)
    broker.first_token_seconds()
    try:
        return proxy_benchmark(broker, out, options.seconds)
    finally:
        broker.stop()


def plain_boot_ready(java, classpath, out, limit=120):
    """A plain Spring Boot app with the broker's starters (no broker beans), process start to ready."""
    port, management = free_port(), free_port()
    log = open(os.path.join(out, "plain-boot.log"), "w")
    started = time.monotonic()
    process = subprocess.Popen([java, "-cp", classpath, "com.acme.tokenbroker.bench.PlainBootApplication",
                                f"--server.port={port}", f"--management.server.port={management}",
                                "--spring.config.location=optional:classpath:/none.yml"], stdout=log, stderr=subprocess.STDOUT)
    try:
        while time.monotonic() - started < limit:
            if http("GET", f"http://127.0.0.1:{management}/actuator/health/readiness", timeout=2)[0] == 200:
                return round(time.monotonic() - started, 3)
            if process.poll() is not None:
                raise RuntimeError("the plain Boot app exited; see plain-boot.log")
            time.sleep(0.02)
        raise RuntimeError("the plain Boot app did not become ready")
    finally:
        process.terminate()
        process.wait(20)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jar", required=True)
    parser.add_argument("--classpath", required=True, help="classpath of the plain Boot app (test classes + dependencies)")
    parser.add_argument("--out", default="target/bench")
    parser.add_argument("--java", default="java")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--jvm", default="")
    parser.add_argument("--only", choices=["hot", "proxy", "footprint"], help="hot: only the hot path (broker, framework floor, "
                        "nginx); proxy: only the proxy against direct scoring calls; footprint: only the idle RSS with 10 and 10,000 "
                        "services; for iterating, the full run is "
                        "what bench/results.md holds")
    parser.add_argument("--broker-arg", action="append", default=[],
                        help="an extra argument for the hot-path broker, e.g. --server.tomcat.threads.max=4 (repeatable)")
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    os.makedirs(out, exist_ok=True)
    jvm = options.jvm.split()
    results = {"machine": {"cores": os.cpu_count(), "java": subprocess.run([options.java, "-version"], capture_output=True,
                                                                            text=True).stderr.splitlines()[0],
                           "kernel": os.uname().release}, "jvm_flags": jvm}
    brokers = []
    # Spring AOT (issue 14, item 2): a jar built with process-aot carries the generated bean definitions, and the image
    # runs with them, as do the brokers here (the AOT cache's training run included).
    if spring_aot(options.jar) and not any(flag.startswith("-Dspring.aot.enabled") for flag in jvm):
        jvm.append("-Dspring.aot.enabled=true")
    launch, aot_flags, launch_description = prepare_launch(options.java, options.jar, out, jvm)
    results["launch"] = launch_description
    fat_jar = ["-jar", options.jar]
    jvm = jvm + aot_flags
    try:
        if options.only == "proxy":
            results["proxy"] = run_proxy(options, launch, jvm, out, brokers)
            results["targets"] = proxy_targets(results["proxy"])
            with open(os.path.join(out, "results-proxy.json"), "w") as file:
                json.dump(results, file, indent=2)
            print(proxy_markdown(results["proxy"]))
            print(json.dumps(results["targets"], indent=2))
            return 0
        # 10 services (3 of the simulator profile + 7), warmed at start.
        ten = os.path.join(out, "services-10.yml")
        services_yaml(ten, 7)
        broker = Broker(options.java, launch, out, "broker-10", [f"--spring.config.additional-location=file:{ten}",
                        "--broker.tokens.warm-up=false", *options.broker_arg], jvm).start()
        brokers.append(broker)
        first = broker.first_token_seconds()
        token = broker.caller_token()
        for service in ["churn-model", "recommender"] + [f"svc-{i}" for i in range(6)]:
            broker.token_json(service, token)
        time.sleep(3)
        idle = broker.rss()
        idle_memory = broker.memory()
        if options.only == "footprint":
            broker.stop()
            results["footprint_10_services"] = {"start_to_first_token_s": first, "rss_idle_mib": idle,
                                                "memory_idle": idle_memory}
            results.update(footprint_10000(options, launch, jvm, out, brokers, idle))
            with open(os.path.join(out, "results-footprint.json"), "w") as file:
                json.dump(results, file, indent=2)
            print(json.dumps(results, indent=2))
            return 0
        body = broker.token_json(HOT_SERVICE, token)
        url = broker.url(f"/tokens/{HOT_SERVICE}")
        wrk(url, 5, token)
        hot = wrk(url, options.seconds, token)
        floor = wrk(f"http://127.0.0.1:{broker.management}/actuator/health/liveness", options.seconds)
        ceiling = nginx_ceiling(out, body, options.seconds)
        after = broker.rss()
        after_memory = broker.memory()
        # The same loads with the server on CPU 0 and wrk on CPU 1 (taskset): the server's own tail, without wrk's
        # threads preempting it on a shared core. On a machine with one CPU only the shared run is possible.
        pinned = None
        if (os.cpu_count() or 1) >= 2:
            pin(broker.process.pid, "0")
            wrk(url, 3, token, cpus="1")
            pinned = {"broker": wrk(url, options.seconds, token, cpus="1"),
                      "nginx": nginx_ceiling(out, body, options.seconds, cpus="0", wrk_cpus="1"),
                      "cpus": "server on CPU 0, wrk on CPU 1"}
            pinned["throughput_vs_nginx"] = round(pinned["broker"]["requests_per_second"]
                                                  / pinned["nginx"]["requests_per_second"], 3)
            pin(broker.process.pid, f"0-{os.cpu_count() - 1}")
        results["hot_path"] = {"broker": hot, "nginx": ceiling, "framework_floor": floor,
                               "throughput_vs_nginx": round(hot["requests_per_second"] / ceiling["requests_per_second"], 3),
                               "pinned": pinned}
        if options.only == "hot":
            broker.stop()
            results["footprint_10_services"] = {"start_to_first_token_s": first, "rss_idle_mib": idle,
                                                "rss_after_hot_path_mib": after, "memory_idle": idle_memory,
                                                "memory_after_hot_path": after_memory}
            with open(os.path.join(out, "results-hot.json"), "w") as file:
                json.dump(results, file, indent=2)
            print(json.dumps(results, indent=2))
            return 0
        # The burst's requests take the full chain (a caller token never seen, a cache miss); warm that chain first, as
        # the hot path is warmed, so the burst measures coalescing rather than a cold JIT. An Accept list is one of the
        # requests the fast path hands on (without it the burst ran at p50 1,021 ms instead of 6 to 8 ms).
        wrk(url, 5, token, accept="application/json, */*")
        burst = cold_burst(broker, "svc-6")
        broker.stop()
        burst["nginx"] = nginx_burst(out, body)
        results["cold_burst"] = burst
        results["footprint_10_services"] = {"start_to_first_token_s": first, "rss_idle_mib": idle,
                                            "rss_after_hot_path_mib": after, "memory_idle": idle_memory,
                                            "memory_after_hot_path": after_memory}

        # Refresh under load: tokens due every ~40 s, so refresh-ahead happens during the run.
        refreshing = Broker(options.java, launch, out, "broker-refresh",
                            ["--broker.simulator.refresh-after=40s", "--broker.tokens.refresh-jitter=10s"], jvm).start()
        brokers.append(refreshing)
        refreshing.first_token_seconds()
        token = refreshing.caller_token()
        url = refreshing.url(f"/tokens/{HOT_SERVICE}")
        wrk(url, 5, token)
        calls_before = refreshing.calls()
        under_refresh = wrk(url, max(60, options.seconds), token)
        refreshes = refreshing.calls() - calls_before
        refreshing.stop()
        results["refresh_under_load"] = {"run": under_refresh, "upstream_refreshes_during_run": refreshes,
                                         "p99_vs_steady": round(under_refresh["p99_ms"] / hot["p99_ms"], 3)}

        # The injecting proxy against direct scoring calls (issue 16).
        results["proxy"] = run_proxy(options, launch, jvm, out, brokers)

        results.update(footprint_10000(options, launch, jvm, out, brokers, idle))

        # Upstream budget: 1,000 services warming at start, at a configured 50 calls per second per region.
        thousand = os.path.join(out, "services-1000.yml")
        services_yaml(thousand, 997, auth_mode="aml-token")
        budgeted = Broker(options.java, launch, out, "broker-budget",
                          [f"--spring.config.additional-location=file:{thousand}",
                           "--resilience4j.ratelimiter.configs.default.limit-for-period=50",
                           "--resilience4j.ratelimiter.configs.default.limit-refresh-period=1s"], jvm).start()
        brokers.append(budgeted)
        results["upstream_budget"] = budget(budgeted, 1000, 50)
        budgeted.stop()

        # Start against a plain Boot app, alternating, 3 rounds, medians (single starts on this machine vary by a
        # second): the broker as launched above, the broker as `java -jar` on the fat jar without the AOT cache (for
        # reference), and the plain Boot app with the same starters (default JVM flags, as a plain app runs).
        starts = {"broker": [], "fat_jar": [], "plain_boot": []}
        for _ in range(3):
            for key, words, flags in (("broker", launch, jvm), ("fat_jar", fat_jar, [f for f in jvm if f not in aot_flags])):
                started = Broker(options.java, words, out, f"broker-start-{key}",
                                 [f"--spring.config.additional-location=file:{ten}", "--broker.tokens.warm-up=false"],
                                 flags).start()
                brokers.append(started)
                starts[key].append(started.first_token_seconds())
                started.stop()
            starts["plain_boot"].append(plain_boot_ready(options.java, options.classpath, out))
        median = {key: round(statistics.median(values), 3) for key, values in starts.items()}
        results["start"] = {"samples_s": starts, "median_s": median,
                            "broker_vs_plain_boot": round(median["broker"] / median["plain_boot"], 3),
                            "fat_jar_vs_plain_boot": round(median["fat_jar"] / median["plain_boot"], 3)}
        results["plain_boot_start_to_ready_s"] = median["plain_boot"]
        results["footprint_10_services"]["start_to_first_token_s"] = median["broker"]
        results["footprint_10_services"]["start_to_first_token_fat_jar_s"] = median["fat_jar"]
        results["footprint_10_services"]["start_vs_plain_boot"] = results["start"]["broker_vs_plain_boot"]
        results["footprint_10_services"]["start_fat_jar_vs_plain_boot"] = results["start"]["fat_jar_vs_plain_boot"]
    finally:
        for broker in brokers:
            broker.stop()

    results["targets"] = targets(results)
    with open(os.path.join(out, "results.json"), "w") as file:
        json.dump(results, file, indent=2)
    table = markdown(results)
    with open(os.path.join(out, "results.md"), "w") as file:
        file.write(table)
    print(table)


def footprint_10000(options, launch, jvm, out, brokers, idle):
    """10,000 services cached, each configured way, against the 10 services' idle RSS: the scored figure has them in a
    services file (docs/configuration.md, "Many services"), the way the broker is meant to be given thousands; the same
    services under broker.services, in an additional config file, are reported beside it (not scored)."""
    results = {}
    for key, services_file in (("footprint_10000_services", True), ("footprint_10000_services_in_environment", False)):
        many = os.path.join(out, "services-10000-file.yml" if services_file else "services-10000.yml")
        services_yaml(many, 9997, services_file=services_file)
        where = f"--broker.services-file={many}" if services_file else f"--spring.config.additional-location=file:{many}"
        large = Broker(options.java, launch, out, "broker-10000" + ("" if services_file else "-environment"),
                       [where, "--resilience4j.ratelimiter.configs.default.limit-for-period=100000",
                        "--resilience4j.bulkhead.configs.default.max-concurrent-calls=16",
                        "--broker.tokens.fetch-concurrency=16"], jvm).start()
        brokers.append(large)
        first_large = large.first_token_seconds(limit=300)
        deadline = time.monotonic() + 600
        while large.calls() < 10000 and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(3)
        idle_large = large.rss()
        memory = large.memory()
        large.stop()
        results[key] = {
            "configured_in": "broker.services-file" if services_file else "broker.services (an additional config file)",
            "start_to_first_token_s": first_large, "rss_idle_mib": idle_large, "memory_idle": memory,
            "bytes_per_cached_entry_estimate": round((idle_large - idle) * 1024 * 1024 / 9990)}
    return results


def targets(r):
    """Issues 14's and 16's targets, each with the figure of this run and whether it is met."""
    hot, nginx = r["hot_path"]["broker"], r["hot_path"]["nginx"]
    pinned = r["hot_path"].get("pinned") or {"broker": hot, "nginx": nginx}
    memory = r["footprint_10_services"]["memory_after_hot_path"]
    per_entry = r["footprint_10000_services"]["bytes_per_cached_entry_estimate"]
    rows = [
        ("hot_path.throughput_vs_nginx", r["hot_path"]["throughput_vs_nginx"], "×", ">= 0.6", lambda v: v >= 0.6),
        ("hot_path.pinned.broker.p99_ms", pinned["broker"]["p99_ms"], "ms", "<= 2", lambda v: v <= 2),
        ("hot_path.pinned p99 broker / nginx", round(pinned["broker"]["p99_ms"] / pinned["nginx"]["p99_ms"], 2), "×",
         "<= 1.5", lambda v: v <= 1.5),
        ("cold_burst.upstream_token_calls", r["cold_burst"]["upstream_token_calls"], "calls", "== 1", lambda v: v == 1),
        ("cold_burst.p99_ms", r["cold_burst"]["p99_ms"], "ms", "<= 100", lambda v: v <= 100),
        ("start.broker_vs_plain_boot", r["start"]["broker_vs_plain_boot"], "×", "<= 0.5", lambda v: v <= 0.5),
        ("memory_after_hot_path.rss_mib", memory["rss_mib"], "MiB", "<= 180", lambda v: v <= 180),
        ("memory_after_hot_path.rss_anon_mib", memory["rss_anon_mib"], "MiB", "<= 130", lambda v: v <= 130),
        ("footprint_10000_services.bytes_per_cached_entry_estimate", per_entry, "B", "<= 4096", lambda v: v <= 4096),
    ]
    return [{"measure": name, "value": value, "unit": unit, "target": target, "met": bool(met(value))}
            for name, value, unit, target, met in rows] + (proxy_targets(r["proxy"]) if "proxy" in r else [])


def markdown(r):
    h, n, f = r["hot_path"]["broker"], r["hot_path"]["nginx"], r["hot_path"]["framework_floor"]
    rows = [
        ("Hot path: broker GET /tokens/{service}, 32 connections", f"{h['requests_per_second']:.0f} req/s, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, max {h['max_ms']} ms", "≥ 0.6× nginx; p99 ≤ 2 ms pinned"),
        ("Hot path: nginx, same JSON body (ceiling)", f"{n['requests_per_second']:.0f} req/s, p50 {n['p50_ms']} ms, p99 {n['p99_ms']} ms", ""),
        ("Hot path: framework floor (liveness, no auth, no cache)", f"{f['requests_per_second']:.0f} req/s, p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms", ""),
        ("Broker throughput / nginx", f"{r['hot_path']['throughput_vs_nginx']}×", "≥ 0.6×"),
        ("Cold burst: 1,000 concurrent requests, uncached service", f"{r['cold_burst']['upstream_token_calls']} upstream call(s), {r['cold_burst']['ok']} × 200, p50 {r['cold_burst']['p50_ms']} ms, p99 {r['cold_burst']['p99_ms']} ms (nginx, same client: p99 {r['cold_burst']['nginx']['p99_ms']} ms)", "1 call, p99 ≤ 100 ms"),
        ("p99 while refreshing / steady p99", f"{r['refresh_under_load']['p99_vs_steady']}× ({r['refresh_under_load']['run']['p99_ms']} ms, {r['refresh_under_load']['upstream_refreshes_during_run']} refreshes)", "≤ 1.2×"),
        ("Start to first token, 10 services (median of 3)", f"{r['footprint_10_services']['start_to_first_token_s']} s ({r['launch']}; {', '.join(str(v) for v in r['start']['samples_s']['broker'])})", ""),
        ("Start to first token, 10 services, `java -jar` on the fat jar", f"{r['footprint_10_services']['start_to_first_token_fat_jar_s']} s ({r['footprint_10_services']['start_fat_jar_vs_plain_boot']}× plain Boot)", ""),
        ("Plain Boot app, same starters, start to ready (median of 3)", f"{r['plain_boot_start_to_ready_s']} s ({', '.join(str(v) for v in r['start']['samples_s']['plain_boot'])})", ""),
        ("Start to first token / plain Boot ready", f"{r['footprint_10_services']['start_vs_plain_boot']}×", "≤ 0.5×"),
        ("RSS idle, 10 services", f"{r['footprint_10_services']['rss_idle_mib']} MiB", ""),
        ("RSS after the hot path, 10 services", f"{r['footprint_10_services']['rss_after_hot_path_mib']} MiB (own memory {r['footprint_10_services']['memory_after_hot_path']['rss_anon_mib']} MiB, mapped files {r['footprint_10_services']['memory_after_hot_path']['rss_file_mib']} MiB)", "≤ 180 MiB, own ≤ 130 MiB"),
        ("Start to first token, 10,000 services", f"{r['footprint_10000_services']['start_to_first_token_s']} s", ""),
        ("RSS idle, 10,000 services warmed, in a services file", f"{r['footprint_10000_services']['rss_idle_mib']} MiB (≈ {r['footprint_10000_services']['bytes_per_cached_entry_estimate']} B per entry)", "≤ 4,096 B per entry"),
        *([("The same 10,000 under broker.services (Spring's Environment)", f"{r['footprint_10000_services_in_environment']['rss_idle_mib']} MiB (≈ {r['footprint_10000_services_in_environment']['bytes_per_cached_entry_estimate']} B per entry; first token {r['footprint_10000_services_in_environment']['start_to_first_token_s']} s)", "")]
          if "footprint_10000_services_in_environment" in r else []),
        ("Budget: 1,000 services warming, most calls in any second", f"{r['upstream_budget']['max_calls_in_any_second']} (configured {r['upstream_budget']['configured_rate_per_second']}/s, warm-up {r['upstream_budget']['warm_up_seconds']} s)", "≤ configured"),
    ]
    lines = [f"Machine: {r['machine']['cores']} cores, {r['machine']['java']}, JVM flags: {' '.join(r['jvm_flags']) or '(none)'}", "",
             "| Measure | Result | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    p = r["hot_path"].get("pinned")
    if p:
        lines += ["", f"Pinned ({p['cpus']}): broker {p['broker']['requests_per_second']:.0f} req/s, p50 "
                      f"{p['broker']['p50_ms']} ms, p99 {p['broker']['p99_ms']} ms; nginx "
                      f"{p['nginx']['requests_per_second']:.0f} req/s, p50 {p['nginx']['p50_ms']} ms, p99 "
                      f"{p['nginx']['p99_ms']} ms ({p['throughput_vs_nginx']}× nginx)."]
    m = r["footprint_10_services"]["memory_after_hot_path"]
    if "pss_mib" in m:
        lines += ["", f"After the hot path: PSS {m['pss_mib']} MiB (own {m.get('pss_anon_mib')} MiB, files "
                      f"{m.get('pss_file_mib')} MiB)."]
    if "proxy" in r:
        lines += ["", proxy_markdown(r["proxy"]).rstrip("\n")]
    lines += ["", "| Target (issues 14, 16) | This run | Target | Met |", "|---|---|---|---|"]
    lines += [f"| {t['measure']} | {t['value']} {t['unit']} | {t['target']} | {'yes' if t['met'] else 'no'} |"
              for t in r["targets"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
