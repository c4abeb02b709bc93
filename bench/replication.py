#!/usr/bin/env python3
"""Replication measured on this machine: writes/s on one web_server replicating to three peers,
and how long a write takes to become visible on all of them (`make bench`, or on its own).

Usage: bench/replication.py [--build-dir DIR] [--writes N] [--seconds S] [--concurrency C]
                            [--probes N] [--probe-timeout S] [--value-size B]

For each --sync-replicas K in (0, 1), four fresh web_servers (own data folders in a temp folder,
one cluster secret, replication ports chosen up front on 127.0.0.1, each peering with the other
three) are started and, once every link is up:
  writes/s     `client --method PUT` to /kv/bench-syncK on the first server, --concurrency C, until
               N writes or S seconds, whichever comes first;
  convergence  N sequential PUTs of distinct keys to the first server, each followed by a tight
               loop of GETs on the three others (keep-alive connections) until all three return
               the value; the time from sending the PUT to the last of the three seeing it.
The table goes to stdout (bench/compare.sh appends it to its report); progress goes to stderr.
Exit status 1, with one line saying why, when web_server cannot replicate or a step fails.
Python 3 standard library only; every process started is stopped by PID on the way out.
"""

import argparse
import http.client
import importlib.machinery
import importlib.util
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SERVERS = 4
SYNC_LEVELS = (0, 1)
MESH_TIMEOUT = 30.0  # seconds for every replication link to come up


def load_compare():
    """compare.sh's process and table helpers (it is Python; its main() runs only as a script)."""
    path = os.path.join(BENCH, "compare.sh")
    loader = importlib.machinery.SourceFileLoader("compare", path)
    spec = importlib.util.spec_from_loader("compare", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


compare = load_compare()


class BenchError(RuntimeError):
    pass


def check_build(build):
    web_server, client = (os.path.join(build, name) for name in ("web_server", "client"))
    for path in (web_server, client):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is missing (make)")
    text = subprocess.run([web_server, "--help"], capture_output=True, text=True,
                          timeout=10).stdout
    missing = [flag for flag in ("--peers", "--replication-listen", "--cluster-secret-file",
                                 "--sync-replicas", "--data-dir") if flag not in text]
    if "--peers" in missing:
        raise BenchError("web_server has no --peers: replication not built")
    if missing:
        raise BenchError(f"web_server --help lacks {', '.join(missing)}")
    return web_server, client


# ---------------------------------------------------------------- the cluster

class Cluster:
    """Four web_servers in a full replication mesh. http[i] is server i's HTTP address."""

    def __init__(self, procs, web_server, workdir, sync):
        self.procs, self.http = procs, []
        secret = os.path.join(workdir, "cluster.secret")
        if not os.path.exists(secret):
            with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        replication = [f"127.0.0.1:{compare.free_port()}" for _ in range(SERVERS)]
        for i in range(SERVERS):
            data = os.path.join(workdir, f"sync{sync}-r{i + 1}")
            os.makedirs(data)
            peers = ",".join(a for k, a in enumerate(replication) if k != i)
            argv = [web_server, "--listen", "127.0.0.1:0", "--name", f"r{i + 1}",
                    "--data-dir", data, "--replication-listen", replication[i],
                    "--peers", peers, "--cluster-secret-file", secret,
                    "--sync-replicas", str(sync)]
            proc = procs.start(f"sync{sync}-r{i + 1}", argv, stdout=subprocess.PIPE)
            self.http.append(compare.read_ready_line(procs, proc))

    def wait_for_mesh(self):
        """Until each server reports its three peers connected (GET /replication)."""
        deadline, last = time.monotonic() + MESH_TIMEOUT, None
        while time.monotonic() < deadline:
            last = [peers_connected(address) for address in self.http]
            if all(n == SERVERS - 1 for n in last):
                return
            time.sleep(0.1)
        raise BenchError(f"replication links not all up after {MESH_TIMEOUT:g} s "
                         f"(peers connected per server: {last})")


def peers_connected(address):
    """How many peers GET /replication on `address` lists as connected; -1 if unreadable."""
    conn = http.client.HTTPConnection(*split(address), timeout=5)
    try:
        status, body = request(conn, "GET", "/replication")
        peers = json.loads(body).get("peers", []) if status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return -1
    finally:
        conn.close()
    return -1 if peers is None else sum(1 for p in peers if p.get("connected"))


def split(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


def request(conn, method, path, body=None):
    conn.request(method, path, body=body)
    response = conn.getresponse()
    return response.status, response.read()


# ---------------------------------------------------------------- measurements

def measure_writes(client, address, sync, args):
    argv = [client, f"http://{address}/kv/bench-sync{sync}", "--method", "PUT",
            "--body", "w" * args.value_size, "--requests", str(args.writes),
            "--duration", f"{args.seconds}s", "--concurrency", str(args.concurrency), "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=args.seconds + 60)
    if done.returncode not in (0, 1):
        raise BenchError(f"client exited {done.returncode}: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    # A 4xx is no failure to the client, but a refused write is no write either.
    refused = {code: n for code, n in report["status"].items()
               if code not in ("200", "201") and int(code) < 500}
    if refused:
        raise BenchError(f"PUT /kv/bench-sync{sync} answered {refused} (status: count)")
    return report


class Prober:
    """Keep-alive connections to each server; reopened after an error."""

    def __init__(self, addresses, timeout):
        self.addresses, self.timeout = addresses, timeout
        self.conns = [None] * len(addresses)

    def ask(self, i, method, path, body=None):
        if self.conns[i] is None:
            self.conns[i] = http.client.HTTPConnection(*split(self.addresses[i]),
                                                       timeout=self.timeout)
        try:
            return request(self.conns[i], method, path, body)
        except (OSError, http.client.HTTPException):
            self.conns[i].close()
            self.conns[i] = None
            return None, b""

    def close(self):
        for conn in self.conns:
            if conn:
                conn.close()


def converge_once(prober, key, value, timeout):
    """Seconds from sending the PUT until every other server returns `value`, or None."""
    start = time.monotonic()
    status, _ = prober.ask(0, "PUT", f"/kv/{key}", value)
    if status not in (200, 201):
        raise BenchError(f"PUT /kv/{key} on the first server answered {status}")
    waiting, deadline = set(range(1, SERVERS)), start + timeout
    while waiting and time.monotonic() < deadline:
        for i in list(waiting):
            status, body = prober.ask(i, "GET", f"/kv/{key}")
            if status == 200 and body == value:
                waiting.discard(i)
    return None if waiting else time.monotonic() - start


def measure_convergence(addresses, sync, args):
    prober, latencies, missed = Prober(addresses, args.probe_timeout), [], 0
    run = secrets.token_hex(4)
    try:
        for n in range(args.probes):
            seconds = converge_once(prober, f"conv-{sync}-{run}-{n}", f"v{n}-{run}".encode(),
                                    args.probe_timeout)
            if seconds is None:
                missed += 1
            else:
                latencies.append(seconds * 1000)
    finally:
        prober.close()
    return latencies, missed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- the report

def row(sync, writes, latencies, missed):
    def ms(value):
        return f"{value:.2f}"
    w = writes["latency_ms"]
    conv = ([ms(statistics.median(latencies)), ms(percentile(latencies, 99)), ms(max(latencies))]
            if latencies else ["n/a"] * 3)
    return [f"--sync-replicas {sync}", f"{writes['rps']:,.0f}", ms(w["p50"]), ms(w["p99"]),
            f"{writes['failed']:,}", *conv, f"{missed}"]


def report(rows, args):
    heading = (f"## Replication: {SERVERS} web_servers in a full mesh on 127.0.0.1 "
               f"(bench/replication.py)")
    notes = [f"Writes: client --method PUT of {args.value_size} bytes to one key on the first "
             f"server, --concurrency {args.concurrency}, {args.writes:,} writes or "
             f"{args.seconds} s. Convergence: {args.probes} sequential PUTs of new keys to the "
             f"first server; from sending each until all {SERVERS - 1} peers return it "
             f"(polled over keep-alive connections, bounded by {args.probe_timeout:g} s: "
             f"*not converged*)."]
    headers = ["", "writes/s", "write p50 ms", "write p99 ms", "failed",
               "convergence p50 ms", "p99 ms", "max ms", "not converged"]
    return [heading, ""] + notes + [""] + compare.table(headers, rows)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR",
                                                              os.path.join(ROOT, "build")))
    parser.add_argument("--writes", type=int, default=5000, help="writes per throughput run")
    parser.add_argument("--seconds", type=int, default=5, help="bound of a throughput run")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--probes", type=int, default=300, help="convergence writes")
    parser.add_argument("--probe-timeout", type=float, default=5.0,
                        help="seconds a write may take to reach every peer")
    parser.add_argument("--value-size", type=int, default=100, help="bytes per value")
    args = parser.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    if min(args.writes, args.seconds, args.concurrency, args.probes, args.value_size) < 1:
        parser.error("--writes, --seconds, --concurrency, --probes and --value-size: at least 1")
    return args


def run(args, workdir):
    web_server, client = check_build(args.build_dir)
    procs, rows = compare.Processes(workdir), []
    try:
        for sync in SYNC_LEVELS:
            print(f"replication.py: --sync-replicas {sync} ...", file=sys.stderr, flush=True)
            cluster = Cluster(procs, web_server, workdir, sync)
            cluster.wait_for_mesh()
            writes = measure_writes(client, cluster.http[0], sync, args)
            latencies, missed = measure_convergence(cluster.http, sync, args)
            rows.append(row(sync, writes, latencies, missed))
            procs.stop_all()
    finally:
        procs.stop_all()
    return report(rows, args)


def main():
    args = parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    workdir = tempfile.mkdtemp(prefix="bench-replication.")
    try:
        lines = run(args, workdir)
    except (BenchError, compare.StartError, subprocess.TimeoutExpired) as e:
        sys.exit(f"replication.py: {e}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
