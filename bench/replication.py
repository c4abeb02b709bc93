#!/usr/bin/env python3
"""Replication measured on this machine: acknowledged writes/s on one web_server replicating to
three peers, how long a write takes to become visible on all of them, the store's size on disk
beside plain SQLite, and how fast a new server bootstraps (`make bench`, or on its own).

Usage: bench/replication.py [--build-dir DIR] [--runs N] [--seconds S] [--writes N]
                            [--concurrency C] [--probes N] [--probe-timeout S] [--value-size B]
                            [--storage-writes N] [--storage-keys N] [--bootstrap-keys N]
                            [--writer-rate R] [--parts throughput,storage,bootstrap]

throughput   For each --sync-replicas K in (0, 1, 2), four fresh web_servers (own data folders in a
             temp folder, one cluster secret, replication ports chosen up front on 127.0.0.1,
             each peering with the other three), all three clusters up at once. Once every link
             is up: `client --method PUT --concurrency C` to /kv/tR-sK-{n} (a new key per
             write) on a cluster's first server, N writes or S seconds, the clusters and one
             web_server without peers (the ceiling) interleaved in an order rotated each round
             after one uncounted 1 s run each; the median of the runs.
             Then N sequential PUTs of distinct keys to the first server, each followed by a
             tight loop of GETs on the three others until all three return the value.
storage      One web_server, no peers: --storage-writes PUTs over --storage-keys keys
             (`--key-space`) at --concurrency C; the size of its data folder beside a plain SQLite
             table (Python's sqlite3, WAL mode) after the same upserts, both while open and after
             a clean close.
bootstrap    Three web_servers in each other's --peers, two started: the first takes
             --bootstrap-keys new keys, the second catches up; then the third starts with an
             empty folder while a writer (`client --rate R`) keeps writing to the first. keys/s:
             the changes the two held when it started, over the time until its summary covers
             them; then the writer stops and the time until all three digests agree.
The tables go to stdout (bench/compare appends them to its report); progress goes to stderr.
Exit status 1, with one line saying why, when web_server cannot replicate or a step fails.
Python 3 standard library only; every process started is stopped by PID on the way out.
"""

import argparse
import http.client
import json
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import time

# A script's folder is first on sys.path, so compare/ beside it imports as a package.
from compare.load import Sample, alternate
from compare.processes import Processes, free_port, read_ready_line, run_in_workdir
from compare.table import rps_cell, table

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SERVERS = 4
SYNC_LEVELS = (0, 1, 2)
MESH_TIMEOUT = 30.0      # seconds for every replication link to come up
CATCH_UP_TIMEOUT = 300.0  # seconds a server may take to hold what its peers hold
BOOTSTRAP_SERVERS = 3
WRITES_PER_SECOND_TARGET = 10_000
STORAGE_RATIO_TARGET = 2.0
BOOTSTRAP_TARGET = 50_000  # keys/s
PARTS = ("throughput", "storage", "bootstrap")


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
    """web_servers in a full replication mesh: each has every other in --peers from the start,
    whether that one runs yet or not. http[i] is server i's HTTP address once started."""

    def __init__(self, procs, web_server, workdir, label, sync=0, servers=SERVERS):
        self.procs, self.web_server, self.workdir = procs, web_server, workdir
        self.label, self.sync = label, sync
        self.secret = os.path.join(workdir, "cluster.secret")
        if not os.path.exists(self.secret):
            with open(os.open(self.secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        self.replication = [f"127.0.0.1:{free_port()}" for _ in range(servers)]
        self.http = [None] * servers

    def start(self, i):
        """Starts server i with an empty data folder; returns its HTTP address once ready."""
        name = f"{self.label}-r{i + 1}"
        data = os.path.join(self.workdir, name)
        os.makedirs(data)
        peers = ",".join(a for k, a in enumerate(self.replication) if k != i)
        argv = [self.web_server, "--listen", "127.0.0.1:0", "--name", name, "--data-dir", data,
                "--replication-listen", self.replication[i], "--peers", peers,
                "--cluster-secret-file", self.secret, "--sync-replicas", str(self.sync)]
        proc = self.procs.start(name, argv, stdout=subprocess.PIPE)
        self.http[i] = read_ready_line(self.procs, proc)
        return self.http[i]

    def start_all(self):
        for i in range(len(self.http)):
            self.start(i)
        return self

    def wait_for_mesh(self):
        """Until each started server reports every other started one connected."""
        running = [a for a in self.http if a]
        deadline, last = time.monotonic() + MESH_TIMEOUT, None
        while time.monotonic() < deadline:
            last = [peers_connected(address) for address in running]
            if all(n == len(running) - 1 for n in last):
                return self
            time.sleep(0.1)
        raise BenchError(f"replication links not all up after {MESH_TIMEOUT:g} s "
                         f"(peers connected per server: {last})")


def replication_state(address):
    """GET /replication on `address` as a dict; None if unreadable."""
    conn = http.client.HTTPConnection(*split(address), timeout=10)
    try:
        status, body = request(conn, "GET", "/replication")
        return json.loads(body) if status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


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

def put_run(client, address, path, args, writes, seconds, extra=()):
    """`client --method PUT` of --value-size bytes to `path` (with {n}: a key per write) until
    `writes` writes or `seconds`; the client's JSON report, and `acked_rps`: answered 2xx/s."""
    argv = [client, f"http://{address}{path}", "--method", "PUT", "--body", "w" * args.value_size,
            "--requests", str(writes), "--duration", f"{seconds}s",
            "--concurrency", str(args.concurrency), "--json", *extra]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode not in (0, 1):
        raise BenchError(f"client exited {done.returncode}: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    # A 4xx is no failure to the client, but a refused write is no write either.
    refused = {code: n for code, n in report["status"].items()
               if code not in ("200", "201") and int(code) < 500}
    if refused:
        raise BenchError(f"PUT {path} answered {refused} (status: count)")
    report["acked_rps"] = report["succeeded"] / report["duration_s"] if report["duration_s"] else 0
    return report


def write_measure(client, address, label, args):
    """measure(seconds) for alternate(): one run of new keys on `address`."""
    runs = iter(range(1_000_000))

    def measure(seconds):
        path = f"/kv/t{next(runs)}-{label}-{{n}}"
        report = put_run(client, address, path, args, args.writes, seconds)
        return Sample(report["acked_rps"], report["latency_ms"]["p99"], report["failed"],
                              report["succeeded"])
    return measure


def start_alone(procs, web_server, workdir, name):
    """One web_server without peers in its own data folder: (folder, HTTP address, process)."""
    data = os.path.join(workdir, name)
    os.makedirs(data)
    proc = procs.start(name, [web_server, "--listen", "127.0.0.1:0", "--name", name,
                              "--data-dir", data], stdout=subprocess.PIPE)
    return data, read_ready_line(procs, proc), proc


ALONE = "alone"  # the throughput contender without peers: what replication costs


def measure_throughput(procs, web_server, client, workdir, args):
    """{sync or ALONE: (Summary of acknowledged writes/s, convergence latencies ms or None,
    not converged)}."""
    clusters = {sync: Cluster(procs, web_server, workdir, f"sync{sync}", sync).start_all()
                for sync in SYNC_LEVELS}
    for cluster in clusters.values():
        cluster.wait_for_mesh()
    alone = start_alone(procs, web_server, workdir, ALONE)[1]
    contenders = {sync: write_measure(client, c.http[0], f"s{sync}", args)
                  for sync, c in clusters.items()}
    contenders[ALONE] = write_measure(client, alone, ALONE, args)
    writes = alternate(contenders, args.runs, args.seconds)
    results = {ALONE: (writes[ALONE], None, None)}
    for sync, cluster in clusters.items():
        latencies, missed = measure_convergence(cluster.http, sync, args)
        results[sync] = (writes[sync], latencies, missed)
    return results


# ---------------------------------------------------------------- storage

def folder_bytes(folder):
    """Bytes of every file in `folder` (the store, its -wal and -shm, the LOCK file)."""
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)
               if os.path.isfile(os.path.join(folder, name)))


def folder_files(folder):
    """"store.db 45,056 B, store.db-wal 4,128,272 B, ...": what the bytes are made of."""
    return ", ".join(f"{name} {os.path.getsize(os.path.join(folder, name)):,} B"
                     for name in sorted(os.listdir(folder)))


PLAIN_BATCHES = (1, 1000)  # upserts per transaction in the plain SQLite references


def plain_sqlite(folder, args, batch):
    """The reference: the same upserts into one plain table, `batch` per transaction.
    synchronous = NORMAL: what ends up on disk is the same as with FULL, without an fsync per
    commit. (bytes open, bytes closed, seconds, bytes of the table file once closed)."""
    os.makedirs(folder)
    path = os.path.join(folder, "plain.db")
    started = time.monotonic()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB)")
        value = b"w" * args.value_size
        for first in range(0, args.storage_writes, batch):
            last = min(args.storage_writes, first + batch)
            db.execute("BEGIN")
            db.executemany("INSERT INTO kv(key, value) VALUES (?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           ((f"s-{n % args.storage_keys}", value) for n in range(first, last)))
            db.execute("COMMIT")
        seconds = time.monotonic() - started
        open_bytes = folder_bytes(folder)
    finally:
        db.close()
    return open_bytes, folder_bytes(folder), seconds, os.path.getsize(path)


def measure_storage(procs, web_server, client, workdir, args):
    data, address, proc = start_alone(procs, web_server, workdir, "storage")
    started = time.monotonic()
    report = put_run(client, address, "/kv/s-{n}", args, args.storage_writes,
                     args.load_seconds, ("--key-space", str(args.storage_keys)))
    seconds = time.monotonic() - started
    open_bytes, open_files = folder_bytes(data), folder_files(data)
    procs.stop(proc)
    ours = (open_bytes, folder_bytes(data), seconds)
    return {"written": report["succeeded"], "failed": report["failed"], "ours": ours,
            "files": (open_files, folder_files(data)),
            "table_bytes": os.path.getsize(os.path.join(data, "store.db")),
            "plain": {batch: plain_sqlite(os.path.join(workdir, f"plain-{batch}"), args, batch)
                      for batch in PLAIN_BATCHES}}


# ---------------------------------------------------------------- bootstrap

def summary_of(address):
    state = replication_state(address)
    return None if state is None else state.get("summary", {})


def covers(summary, wanted):
    return summary is not None and all(summary.get(o, 0) >= seq for o, seq in wanted.items())


def wait_for(what, check, timeout, interval=0.05):
    """Polls check() until it is true; the seconds that took. BenchError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(interval)
    raise BenchError(f"{what}: not within {timeout:g} s")


def held_by_all(addresses):
    """Once every server's summary covers every other's: the summary they share."""
    merged = {}

    def agree():
        summaries = [summary_of(a) for a in addresses]
        if any(s is None for s in summaries):
            return False
        merged.clear()
        for s in summaries:
            for origin, seq in s.items():
                merged[origin] = max(merged.get(origin, 0), seq)
        return all(covers(s, merged) for s in summaries)
    wait_for("the running servers agreeing", agree, CATCH_UP_TIMEOUT, 0.2)
    return dict(merged)


def digests_equal(addresses):
    states = [replication_state(a) for a in addresses]
    return all(states) and len({s.get("digest") for s in states}) == 1


def measure_bootstrap(procs, web_server, client, workdir, args):
    cluster = Cluster(procs, web_server, workdir, "boot", servers=BOOTSTRAP_SERVERS)
    running = [cluster.start(i) for i in range(BOOTSTRAP_SERVERS - 1)]
    cluster.wait_for_mesh()
    started = time.monotonic()
    preload = put_run(client, running[0], "/kv/boot-{n}", args, args.bootstrap_keys,
                      args.load_seconds)
    preload_s = time.monotonic() - started
    held = held_by_all(running)
    writer = procs.start("boot-writer", [
        client, f"http://{running[0]}/kv/boot-w-{{n}}", "--method", "PUT",
        "--body", "w" * args.value_size, "--rate", f"{args.writer_rate:g}", "--concurrency", "4",
        "--duration", f"{CATCH_UP_TIMEOUT:.0f}s"])
    joined = time.monotonic()
    newcomer = cluster.start(BOOTSTRAP_SERVERS - 1)
    wait_for("the new server covering its peers", lambda: covers(summary_of(newcomer), held),
             CATCH_UP_TIMEOUT, 0.1)
    catch_up_s = time.monotonic() - joined
    procs.stop(writer)
    written = sum(summary_of(running[0]).values()) - sum(held.values())
    settle_s = wait_for("all digests equal after the writer stopped",
                        lambda: digests_equal(cluster.http), CATCH_UP_TIMEOUT, 0.2)
    return {"preloaded": preload["succeeded"], "preload_s": preload_s,
            "changes": sum(held.values()), "catch_up_s": catch_up_s,
            "writer_writes": written, "settle_s": settle_s}


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

def ms(value):
    return f"{value:.2f}"


def mib(n):
    return f"{n / 1024 / 1024:.2f}"


def verdict(holds):
    return "holds" if holds else "MISSES"


def report_throughput(results, args):
    rows = []
    for key, (writes, latencies, missed) in results.items():
        conv = ([ms(statistics.median(latencies)), ms(percentile(latencies, 99)),
                 ms(max(latencies))] if latencies else ["n/a"] * 3)
        name = "one web_server, no peers" if key == ALONE else f"--sync-replicas {key}"
        rows.append([name, rps_cell(writes), ms(writes.p99_ms),
                     f"{writes.errors:,}", *conv, "n/a" if missed is None else f"{missed}"])
    return ([f"## Replication: {SERVERS} web_servers in a full mesh on 127.0.0.1, encrypted links "
             f"(bench/replication.py)", "",
             f"Writes: client --method PUT of {args.value_size} bytes to a new key each "
             f"(/kv/tR-sK-{{n}}) on the first server, --concurrency {args.concurrency}, "
             f"{args.writes:,} writes or {args.seconds} s; acknowledged (2xx) writes/s, median of "
             f"{args.runs} runs, the three clusters and one web_server without peers "
             f"interleaved. Convergence: {args.probes} "
             f"sequential PUTs of new keys to the first server; from sending each until all "
             f"{SERVERS - 1} peers return it (polled over keep-alive connections, bounded by "
             f"{args.probe_timeout:g} s: *not converged*).", ""]
            + table(["", "acked writes/s", "p99 ms", "failed", "convergence p50 ms",
                             "p99 ms", "max ms", "not converged"], rows))


def plain_name(batch):
    return "a commit per upsert" if batch == 1 else f"{batch:,} upserts per commit"


def report_storage(r, args):
    ours = r["ours"]
    rows = [["web_server (its data folder)", f"{r['written']:,}", f"{ours[2]:.1f}",
             mib(ours[0]), mib(ours[1])]]
    for batch, plain in r["plain"].items():
        rows.append([f"plain SQLite, {plain_name(batch)}", f"{args.storage_writes:,}",
                     f"{plain[2]:.1f}", mib(plain[0]), mib(plain[1])])
    for batch, plain in r["plain"].items():
        rows.append([f"web_server / plain, {plain_name(batch)}", "", "",
                     f"{ours[0] / plain[0]:.2f}x", f"{ours[1] / plain[1]:.2f}x"])
    plain_table = r["plain"][PLAIN_BATCHES[0]][3]
    failed = f" ({r['failed']:,} failed)" if r["failed"] else ""
    return [f"## Replication: storage after {r['written']:,} PUTs over "
            f"{args.storage_keys:,} keys (one web_server, no peers)", "",
            f"client --method PUT of {args.value_size} bytes to /kv/s-{{n}} --key-space "
            f"{args.storage_keys} --concurrency {args.concurrency}: {r['written']:,} of "
            f"{args.storage_writes:,} written{failed} in {ours[2]:.1f} s. Plain: Python's "
            f"sqlite3, `CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB)`, WAL mode, the same "
            f"upserts of the same keys and values, one per transaction or "
            f"{PLAIN_BATCHES[1]:,} per transaction. *open*: every file of the folder right after "
            f"the last write (-wal and -shm included); *closed*: after a clean stop (SIGTERM; "
            f"for plain SQLite, closing the last connection).", ""] + table(
                ["", "writes", "seconds", "open MiB", "closed MiB"], rows) + [
                "", f"web_server's folder open: {r['files'][0]}; closed: {r['files'][1]}. "
                f"The table files alone: store.db {r['table_bytes']:,} B, plain.db "
                f"{plain_table:,} B ({r['table_bytes'] / plain_table:.2f}x)."]


def report_bootstrap(r, args):
    rows = [[f"{r['preloaded']:,}", f"{r['preload_s']:.1f}", f"{r['changes']:,}",
             f"{r['catch_up_s']:.2f}", f"{r['changes'] / r['catch_up_s']:,.0f}",
             f"{r['writer_writes']:,}", f"{r['settle_s']:.2f}"]]
    return [f"## Replication: bootstrap of a new server ({BOOTSTRAP_SERVERS} web_servers, "
            f"the third started empty)", "",
            f"The first server takes {args.bootstrap_keys:,} new keys of {args.value_size} bytes "
            f"(client /kv/boot-{{n}}, --concurrency {args.concurrency}) and the second catches "
            f"up; the third, in both --peers lists from the start, then starts with an empty "
            f"folder while `client --rate {args.writer_rate:g}` writes new keys to the first. "
            f"*catch-up*: from starting it until its GET /replication summary covers every "
            f"origin's sequence the two held when it started; keys/s = those changes (one per "
            f"key: no key was written twice) / catch-up. Then the writer stops; *digests equal*: "
            f"from then until all three report the same digest.", ""] + table(
                ["preloaded keys", "preload s", "changes held at join", "catch-up s", "keys/s",
                 "writer's writes meanwhile", "digests equal s"], rows)


def report_targets(results):
    rows = []
    if "throughput" in results:
        writes = results["throughput"][0][0]
        rows.append([f">= {WRITES_PER_SECOND_TARGET:,} acked PUTs/s, --sync-replicas 0, new keys",
                     f"{writes.rps:,.0f}", verdict(writes.rps >= WRITES_PER_SECOND_TARGET)])
    if "storage" in results:
        storage = results["storage"]
        for batch, plain in storage["plain"].items():
            for i, state in ((0, "open"), (1, "closed")):
                r = storage["ours"][i] / plain[i]
                rows.append([f"store on disk <= {STORAGE_RATIO_TARGET:g}x plain SQLite "
                             f"({plain_name(batch)}), {state}", f"{r:.2f}x",
                             verdict(r <= STORAGE_RATIO_TARGET)])
    if "bootstrap" in results:
        b = results["bootstrap"]
        rate = b["changes"] / b["catch_up_s"]
        rows.append([f"bootstrap >= {BOOTSTRAP_TARGET:,} keys/s", f"{rate:,.0f}",
                     verdict(rate >= BOOTSTRAP_TARGET)])
    return ["## Replication targets", ""] + table(["target", "measured", ""], rows)


def report(results, args, seconds):
    writers = {"throughput": report_throughput, "storage": report_storage,
               "bootstrap": report_bootstrap}
    lines = []
    for part, write in writers.items():
        if part in results:
            lines += write(results[part], args) + [""]
    return lines + report_targets(results) + ["", f"replication.py took {seconds:.0f} s."]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR",
                                                              os.path.join(ROOT, "build")))
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per cluster (median)")
    parser.add_argument("--seconds", type=int, default=3, help="bound of a throughput run")
    parser.add_argument("--writes", type=int, default=100_000, help="writes per throughput run")
    parser.add_argument("--concurrency", type=int, default=64, help="client connections")
    parser.add_argument("--probes", type=int, default=300, help="convergence writes")
    parser.add_argument("--probe-timeout", type=float, default=5.0,
                        help="seconds a write may take to reach every peer")
    parser.add_argument("--value-size", type=int, default=100, help="bytes per value")
    parser.add_argument("--storage-writes", type=int, default=1_000_000,
                        help="PUTs for the storage figure")
    parser.add_argument("--storage-keys", type=int, default=1000, help="keys they go to")
    parser.add_argument("--bootstrap-keys", type=int, default=1_000_000,
                        help="keys the new server has to fetch")
    parser.add_argument("--writer-rate", type=float, default=200,
                        help="writes/s while the new server catches up")
    parser.add_argument("--load-seconds", type=int, default=600,
                        help="bound of the storage writes and of the preload")
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.parts = [p for p in args.parts.split(",") if p]
    if any(p not in PARTS for p in args.parts):
        parser.error(f"--parts takes {','.join(PARTS)}")
    if min(args.runs, args.writes, args.seconds, args.concurrency, args.probes, args.value_size,
           args.storage_writes, args.storage_keys, args.bootstrap_keys, args.writer_rate,
           args.load_seconds) <= 0:
        parser.error("every count, size, rate and bound: at least 1")
    return args


def run(args, workdir):
    web_server, client = check_build(args.build_dir)
    procs, results, started = Processes(workdir), {}, time.monotonic()
    parts = {"throughput": measure_throughput, "storage": measure_storage,
             "bootstrap": measure_bootstrap}
    try:
        for part in args.parts:
            print(f"replication.py: {part} ...", file=sys.stderr, flush=True)
            results[part] = parts[part](procs, web_server, client, workdir, args)
            procs.stop_all()
    finally:
        procs.stop_all()
    return report(results, args, time.monotonic() - started)


def main():
    args = parse_args()
    lines = run_in_workdir("replication.py", "bench-replication.",
                           lambda workdir: run(args, workdir), (BenchError,))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
