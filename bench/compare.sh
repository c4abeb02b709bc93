#!/usr/bin/env python3
"""The suite beside HAProxy, nginx and wrk, measured in one run on this machine (`make bench`).

Usage: bench/compare.sh [--build-dir DIR] [--duration S] [--runs N] [--hold N] [--note TEXT]
                        [--out FILE]
                        [--sections proxy,cost,static,tools,websocket,hold,failover,replication]

Python (standard library only) rather than shell: the run alternates contenders, takes medians,
parses wrk's text and the client's JSON and holds thousands of sockets, all of which read more
plainly here. Every process is started on 127.0.0.1 on a free port, tracked by PID and stopped by
PID on exit; every wait has a deadline. The table goes to stdout and to bench/RESULTS.md;
bench/README.md says how to read it.
"""

import argparse
import datetime
import errno
import getpass
import grp
import json
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
STATIC_DIR = os.path.join(ROOT, "web_server", "www")
STATIC_PAGE = "/index.html"  # served by web_server --static-dir and by nginx from the same folder
BACKENDS = 4
CONNECTIONS = 64          # wrk -c and client --concurrency in the throughput rows
READY_TIMEOUT = 30.0      # seconds a server may take to become ready
HOLD_MAX = 10000          # idle connections held through each proxy, if limits allow
FAILOVER_SECONDS, FAILOVER_CONCURRENCY, FAILOVER_KILL_AT = 4, 16, 1.0
WS_MESSAGE_SIZE = 64      # client --ws --message-size in the WebSocket rows
DRAIN = "1s"              # our servers' --drain-timeout: stopping one between tests stays quick


# ---------------------------------------------------------------- processes

class Processes:
    """Every process this run starts. stop() and stop_all() signal only these PIDs."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.running = []

    def start(self, name, argv, stdout=subprocess.DEVNULL):
        log = open(os.path.join(self.workdir, name + ".log"), "ab")
        proc = subprocess.Popen(argv, stdout=stdout, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        proc.bench_name = name
        self.running.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM):
        # SIGTERM first so nginx's master takes its workers down; SIGKILL if it lingers.
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self.running)):
            self.stop(proc)

    def log_tail(self, name, lines=5):
        try:
            with open(os.path.join(self.workdir, name + ".log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class StartError(RuntimeError):
    pass


def read_ready_line(procs, proc):
    """Waits for our servers' `listening on HOST:PORT` line and returns HOST:PORT."""
    deadline = time.monotonic() + READY_TIMEOUT
    buffered = b""
    with selectors.DefaultSelector() as ready:
        ready.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and proc.poll() is None:
            if not ready.select(timeout=0.2):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffered += chunk
            match = re.search(rb"^listening on (\S+)\n", buffered, re.M)
            if match:
                return match.group(1).decode()
    raise StartError(f"{proc.bench_name} did not print 'listening on':\n"
                     + procs.log_tail(proc.bench_name))


def wait_for_port(procs, proc, port):
    """Waits until 127.0.0.1:port accepts a connection (HAProxy and nginx print no ready line)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise StartError(f"{proc.bench_name} is not accepting on port {port}:\n"
                     + procs.log_tail(proc.bench_name))


def free_port():
    """A port the kernel just handed out for port 0; free again once the socket is closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the cast

class Backends:
    """Four web_servers with the web app folder; the victim of a failover run comes back on its
    own port so that every proxy's configuration stays valid."""

    def __init__(self, procs, build):
        self.procs, self.binary = procs, os.path.join(build, "web_server")
        # A web_server with a key-value store keeps it in the temp folder, not in ./data.
        self.has_store = "--data-dir" in subprocess.run(
            [self.binary, "--help"], capture_output=True, text=True, timeout=10).stdout
        self.addresses, self.proc = [], []
        for i in range(BACKENDS):
            proc, address = self._start(i, "127.0.0.1:0")
            self.proc.append(proc)
            self.addresses.append(address)

    def _start(self, i, listen):
        argv = [self.binary, "--listen", listen, "--name", f"s{i + 1}", "--static-dir", STATIC_DIR,
                "--drain-timeout", DRAIN]
        if self.has_store:
            data = os.path.join(self.procs.workdir, f"s{i + 1}")
            os.makedirs(data, exist_ok=True)
            argv += ["--data-dir", data]
        proc = self.procs.start(f"s{i + 1}", argv, stdout=subprocess.PIPE)
        try:
            return proc, read_ready_line(self.procs, proc)
        except StartError:
            self.procs.stop(proc)
            raise

    def kill(self, i):
        self.procs.stop(self.proc[i], signal.SIGKILL)

    def revive(self):
        for i, proc in enumerate(self.proc):
            if proc.poll() is None:
                continue
            # The killed server's port may be taken for a moment; bounded retries.
            for _ in range(50):
                try:
                    self.proc[i], _ = self._start(i, self.addresses[i])
                    break
                except StartError:
                    time.sleep(0.1)
            else:
                raise StartError(f"s{i + 1} could not listen on {self.addresses[i]} again")


def render(template, values):
    with open(os.path.join(BENCH, template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        raise StartError(f"{template}: no value for {', '.join(sorted(set(left)))}")
    return text


def balancer_modes(binary):
    """The --mode values `load_balancer --help` lists, e.g. {'http', 'tcp'}."""
    text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"--mode\s+\S*?\{([^}]*)\}", text)
    return set(match.group(1).split(",")) if match else {"tcp"}


# ---------------------------------------------------------------- load tools

@dataclass
class Sample:
    rps: float
    p99_ms: float
    errors: int = 0
    requests: int = 0  # answered in the run (wrk's count)


@dataclass
class Summary:
    rps: float      # medians over the runs
    p99_ms: float
    errors: int     # over all runs
    spread: float   # (max - min) / median of the runs' requests/s: how far to trust a ratio


def summarize(samples):
    rates = [s.rps for s in samples]
    rps = statistics.median(rates)
    return Summary(rps, statistics.median(s.p99_ms for s in samples),
                   sum(s.errors for s in samples), (max(rates) - min(rates)) / rps if rps else 0)


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(target, seconds, close=False, connections=CONNECTIONS):
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", target]
    if close:
        argv += ["-H", "Connection: close"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not rps or not p99:
        raise RuntimeError(f"unexpected wrk output for {target}:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    requests = re.search(r"^\s*(\d+) requests in", out, re.M)
    return Sample(float(rps.group(1)), float(p99.group(1)) * WRK_UNITS[p99.group(2)], errors,
                  int(requests.group(1)) if requests else 0)


def our_client(build, target, seconds, concurrency=CONNECTIONS, extra=()):
    argv = [os.path.join(build, "client"), target, "--duration", f"{seconds}s",
            "--concurrency", str(concurrency), "--json", *extra]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode not in (0, 1):  # 1: the run finished but some requests failed
        raise RuntimeError(f"client {target} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def client_sample(build, target, seconds, extra=()):
    report = our_client(build, target, seconds, extra=extra)
    return Sample(report["rps"], report["latency_ms"]["p99"], report["failed"])


def alternate(contenders, runs, seconds):
    """Runs each available contender `runs` times, interleaved, in an order rotated each round so
    that none always goes first or last, after one uncounted one-second warm-up each.
    contenders: {name: measure(seconds) -> Sample, or None when not available here}."""
    names = [name for name, measure in contenders.items() if measure]
    for name in names:
        contenders[name](1)
    samples = {name: [] for name in names}
    for r in range(runs if names else 0):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(contenders[name](seconds))
    return {name: summarize(samples[name]) if name in samples else None for name in contenders}


# ---------------------------------------------------------------- sections

def url(address, path="/"):
    return f"http://{address}{path}"


def wrk_on(address, path, close):
    """measure(seconds) for alternate(): wrk against address, or None if there is no address."""
    if address is None:
        return None
    return lambda seconds: wrk(url(address, path), seconds, close)


def proxy_section(ctx):
    """Requests/s and p99 through each proxy, keep-alive and a new connection per request."""
    haproxy, nginx = ctx.launch("haproxy"), ctx.launch("nginx")
    targets = {"direct to one web_server": ctx.backends.addresses[0],
               "ours, HTTP mode": ctx.start(("ours", "http")),
               "ours, TCP mode": ctx.start(("ours", "tcp")),
               "HAProxy mode http": haproxy["http"], "HAProxy mode tcp": haproxy["tcp"],
               "nginx proxy_pass": nginx["proxy"]}
    results = {close: alternate({name: wrk_on(address, "/", close)
                                 for name, address in targets.items()}, ctx.runs, ctx.seconds)
               for close in (False, True)}
    ctx.stop_started()
    return results


def static_section(ctx):
    """web_server and nginx serving the same file, keep-alive and a new connection per request."""
    targets = {"web_server --static-dir": ctx.backends.addresses[0],
               "nginx": ctx.launch("nginx")["static"]}
    results = {close: alternate({name: wrk_on(address, STATIC_PAGE, close)
                                 for name, address in targets.items()}, ctx.runs, ctx.seconds)
               for close in (False, True)}
    ctx.stop_started()
    return results


def tools_section(ctx):
    """Our client and wrk driving the same web_server over the same number of connections."""
    target = url(ctx.backends.addresses[0])
    return alternate({"client": lambda seconds: client_sample(ctx.build, target, seconds),
                      "wrk": lambda seconds: wrk(target, seconds)}, ctx.runs, ctx.seconds)


def ws_on(ctx, address):
    """measure(seconds) for alternate(): client --ws round trips to web_server's /ws echo."""
    if address is None:
        return None
    extra = ("--ws", "--message-size", str(WS_MESSAGE_SIZE))
    return lambda seconds: client_sample(ctx.build, url(address, "/ws"), seconds, extra)


def websocket_section(ctx):
    """Message round trips over 64 held WebSocket connections: direct, through the balancer's
    HTTP mode (an upgraded tunnel) and through HAProxy mode http (which tunnels them too)."""
    targets = {"direct to one web_server": ctx.backends.addresses[0],
               "ours, HTTP mode": ctx.start(("ours", "http")),
               "HAProxy mode http": ctx.launch("haproxy")["http"]}
    results = alternate({name: ws_on(ctx, address) for name, address in targets.items()},
                        ctx.runs, ctx.seconds)
    ctx.stop_started()
    return results


def process_tree(pid):
    """pid and its children: nginx's work is done by the workers its master started."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [pid] + [int(child) for child in f.read().split()]
    except OSError:
        return [pid]


def cpu_and_wakeups(pids):
    """CPU seconds used so far by the processes, and how often their threads slept and were
    woken (voluntary context switches, summed over the threads alive now)."""
    seconds, wakeups = 0.0, 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/status") as f:
                    wakeups += int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", f.read(),
                                             re.M).group(1))
            except OSError:  # the thread ended meanwhile
                pass
    return seconds, wakeups


@dataclass
class Cost:
    cpu_us: float   # the proxy's CPU time per request answered, microseconds (medians)
    wakeups: float  # the proxy's voluntary context switches per request answered


def cost_of(pid, address, close, runs, seconds):
    """The proxy's CPU time and wake-ups per request under wrk, median of `runs`."""
    samples = []
    for _ in range(runs):
        pids = process_tree(pid)
        cpu0, wake0 = cpu_and_wakeups(pids)
        run = wrk(url(address), seconds, close)
        cpu1, wake1 = cpu_and_wakeups(pids)
        if run.requests:
            samples.append(((cpu1 - cpu0) * 1e6 / run.requests, (wake1 - wake0) / run.requests))
    if not samples:
        return None
    return Cost(statistics.median(c for c, _ in samples), statistics.median(w for _, w in samples))


COST_CONTENDERS = [("ours, HTTP mode", ("ours", "http"), "http"),
                   ("HAProxy mode http", ("haproxy", None), "http"),
                   ("nginx proxy_pass", ("nginx", None), "proxy"),
                   ("ours, TCP mode", ("ours", "tcp"), "tcp"),
                   ("HAProxy mode tcp", ("haproxy", None), "tcp")]


def cost_section(ctx):
    """What one request costs each proxy: CPU time and wake-ups, keep-alive and a new connection
    per request. On a machine whose cores the load generator and the backends share, this is
    what decides the requests/s of the proxy section."""
    results = {False: {}, True: {}}
    for name, (kind, mode), port in COST_CONTENDERS:
        addresses = ctx.launch(kind, mode)
        for close in (False, True):
            results[close][name] = addresses and cost_of(
                ctx.started[-1].pid, addresses[port], close, ctx.runs, ctx.seconds)
        ctx.stop_started()
    return results


REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
HOLD_BATCH = 256      # connections being opened at once: stays inside any accept backlog
HOLD_TIMEOUT = 90.0   # seconds to open and use all of them


def response_complete(buffer):
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = re.search(rb"\r\ncontent-length:\s*(\d+)", buffer[:head_end], re.I)
    return len(buffer) >= head_end + 4 + (int(length.group(1)) if length else 0)


def open_one(selector, address):
    host, port = address.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    # Closing with RST leaves no TIME_WAIT behind, so thousands of ports are free for the next test.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if s.connect_ex((host, int(port))) not in (0, errno.EINPROGRESS):
        s.close()
        return False
    selector.register(s, selectors.EVENT_WRITE, bytearray())
    return True


def advance(selector, key):
    """One step of a held connection: send the request once connected, then read the response.
    Returns 'held', 'failed' or None (not done yet)."""
    s, buffer = key.fileobj, key.data
    try:
        if key.events == selectors.EVENT_WRITE:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                raise OSError("connect failed")
            s.send(REQUEST)  # 33 bytes into an empty send buffer: sent whole
            selector.modify(s, selectors.EVENT_READ, buffer)
            return None
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed")
        buffer += chunk
        if not response_complete(buffer):
            return None
        selector.unregister(s)
        return "held"
    except OSError:
        selector.unregister(s)
        s.close()
        return "failed"


def hold_connections(address, n):
    """Opens n keep-alive connections, sends one request on each and reads its response; returns
    the sockets left open and idle (the caller closes them)."""
    selector, held, opened = selectors.DefaultSelector(), [], 0
    deadline = time.monotonic() + HOLD_TIMEOUT
    while (opened < n or selector.get_map()) and time.monotonic() < deadline:
        while opened < n and len(selector.get_map()) < HOLD_BATCH:
            opened += 1
            open_one(selector, address)
        for key, _ in selector.select(timeout=0.5):
            if advance(selector, key) == "held":
                held.append(key.fileobj)
    for key in list(selector.get_map().values()):  # still pending at the deadline
        key.fileobj.close()
    selector.close()
    return held


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


@dataclass
class Held:
    wanted: int
    held: int
    before_kib: int
    after_kib: int

    @property
    def per_connection_kib(self):
        return (self.after_kib - self.before_kib) / self.held if self.held else None


HOLD_CONTENDERS = [("ours, HTTP mode", ("ours", "http")), ("HAProxy mode http", ("haproxy", "http")),
                   ("ours, TCP mode", ("ours", "tcp")), ("HAProxy mode tcp", ("haproxy", "tcp"))]


def hold_section(ctx):
    """RSS per idle keep-alive connection, each proxy started fresh for its measurement."""
    results = {}
    for name, contender in HOLD_CONTENDERS:
        address = ctx.start(contender)
        if address is None:
            results[name] = None
            continue
        pid = ctx.started[-1].pid
        time.sleep(0.5)  # past start-up allocations (health checker's first round, HAProxy's pools)
        before = vm_rss_kib(pid)
        sockets = hold_connections(address, ctx.hold)
        time.sleep(1.0)  # the proxy finishes its bookkeeping of the last responses
        results[name] = Held(ctx.hold, len(sockets), before, vm_rss_kib(pid))
        for s in sockets:
            s.close()
        ctx.stop_started()
    return results


FAILOVER_CONTENDERS = [("ours, HTTP mode", ("ours", "http")), ("ours, TCP mode", ("ours", "tcp")),
                       ("HAProxy mode http", ("haproxy", "http")),
                       ("HAProxy mode tcp", ("haproxy", "tcp")),
                       ("nginx proxy_pass", ("nginx", "proxy"))]


def failover_once(ctx, contender):
    """Our client through a fresh proxy; the last backend is SIGKILLed a second in. Returns the
    client's JSON report."""
    ctx.backends.revive()
    address = ctx.start(contender)
    argv = [os.path.join(ctx.build, "client"), url(address), "--duration", f"{FAILOVER_SECONDS}s",
            "--concurrency", str(FAILOVER_CONCURRENCY), "--json"]
    client = ctx.procs.start("failover-client", argv, stdout=subprocess.PIPE)
    time.sleep(FAILOVER_KILL_AT)
    ctx.backends.kill(BACKENDS - 1)
    out, _ = client.communicate(timeout=FAILOVER_SECONDS + 60)
    ctx.procs.stop(client)
    ctx.stop_started()
    return json.loads(out)


def failover_section(ctx):
    names = [(name, c) for name, c in FAILOVER_CONTENDERS if ctx.available(c)]
    reports = {name: [] for name, _ in names}
    for r in range(ctx.runs):
        shift = r % len(names)
        for name, contender in names[shift:] + names[:shift]:
            reports[name].append(failover_once(ctx, contender))
    ctx.backends.revive()
    return {name: reports.get(name) for name, _ in FAILOVER_CONTENDERS}


class Context:
    """What every section needs: the build, the measurement settings, the running backends, and
    the proxies the current section started (stopped by stop_started())."""

    def __init__(self, args, procs):
        self.build, self.seconds, self.runs = args.build_dir, args.duration, args.runs
        self.hold, self.hold_note = hold_count(args.hold)  # after raise_fd_limit()
        self.procs = procs
        self.backends = Backends(procs, self.build)
        self.balancer = os.path.join(self.build, "load_balancer")
        self.modes = balancer_modes(self.balancer)
        self.started = []

    def available(self, contender):
        kind, mode = contender
        return kind != "ours" or mode in self.modes

    def launch(self, kind, mode=None):
        """Starts a fresh proxy: "ours" (in `mode`), "haproxy" or "nginx". Returns its addresses
        by mode ({"http", "tcp"} for HAProxy, {"proxy", "static"} for nginx, {mode} for ours),
        or None when this build of ours has no such mode."""
        if not self.available((kind, mode)):
            return None
        start = {"ours": lambda: self._ours(mode), "haproxy": self._haproxy,
                 "nginx": self._nginx}[kind]
        proc, addresses = start()
        self.started.append(proc)
        return addresses

    def start(self, contender):
        """The address of a fresh contender (kind, mode), or None when not available."""
        addresses = self.launch(*contender)
        return addresses and addresses[contender[1]]

    def stop_started(self):
        while self.started:
            self.procs.stop(self.started.pop())

    def _ours(self, mode):
        argv = [self.balancer, "--listen", "127.0.0.1:0", "--mode", mode,
                "--backends", ",".join(self.backends.addresses),
                "--max-connections", str(max(10000, self.hold + 100)), "--drain-timeout", DRAIN]
        proc = self.procs.start("lb-" + mode, argv, stdout=subprocess.PIPE)
        return proc, {mode: read_ready_line(self.procs, proc)}

    def _haproxy(self):
        ports = {"http": free_port(), "tcp": free_port()}
        servers = "\n".join(f"    server s{i + 1} {address} check"
                            for i, address in enumerate(self.backends.addresses))
        path = os.path.join(self.procs.workdir, "haproxy.cfg")
        with open(path, "w") as f:
            # Two descriptors per connection: hold_count() left room for HAProxy's fd limit too.
            f.write(render("haproxy.cfg.in", {"MAXCONN": self.hold + 100, "SERVERS": servers,
                                              "HTTP_PORT": ports["http"],
                                              "TCP_PORT": ports["tcp"]}))
        proc = self.procs.start("haproxy", ["haproxy", "-db", "-f", path])
        for port in ports.values():
            wait_for_port(self.procs, proc, port)
        return proc, {mode: f"127.0.0.1:{port}" for mode, port in ports.items()}

    def _nginx(self):
        ports = {"proxy": free_port(), "static": free_port()}
        tmp = tempfile.mkdtemp(prefix="nginx.", dir=self.procs.workdir)
        upstream = "\n".join(f"        server {address};" for address in self.backends.addresses)
        values = {"USER": getpass.getuser(), "GROUP": grp.getgrgid(os.getegid()).gr_name,
                  "TMP": tmp, "NOFILE": 65536, "WORKER_CONNECTIONS": 16384,
                  "UPSTREAM_SERVERS": upstream, "PROXY_PORT": ports["proxy"],
                  "STATIC_PORT": ports["static"], "STATIC_DIR": STATIC_DIR}
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(render("nginx.conf.in", values))
        argv = ["nginx", "-p", tmp + "/", "-c", os.path.join(tmp, "nginx.conf"),
                "-e", os.path.join(tmp, "nginx-error.log")]
        proc = self.procs.start("nginx", argv)
        for port in ports.values():
            wait_for_port(self.procs, proc, port)
        return proc, {kind: f"127.0.0.1:{port}" for kind, port in ports.items()}


# ---------------------------------------------------------------- the report

def table(headers, rows):
    """A Markdown table padded for reading on a terminal; first column left, the rest right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        padded = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                  for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"
    rule = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                          for i, w in enumerate(widths)) + "|"
    return [line(headers), rule] + [line(row) for row in rows]


def rps_cell(s):
    if s is None:
        return "n/a"
    return (f"{s.rps:,.0f} ±{s.spread * 50:.0f}%"
            + (f" ({s.errors} err)" if s.errors else ""))


def p99_cell(s):
    return "n/a" if s is None else f"{s.p99_ms:.2f}"


def ratio(ours, peer):
    return None if ours is None or not peer else ours / peer


def ratio_cell(value):
    return "n/a" if value is None else f"{value:.2f}x"


def throughput_rows(results, names):
    keep, close = results[False], results[True]
    return [[name, rps_cell(keep[name]), p99_cell(keep[name]),
             rps_cell(close[name]), p99_cell(close[name])] for name in names]


def throughput_ratios(results, pairs):
    """Rows of ours/peer for requests/s (higher is better) and p99 (lower is better)."""
    rows = []
    for ours, peer in pairs:
        row = [f"{ours} / {peer}"]
        for close in (False, True):
            a, b = results[close][ours], results[close][peer]
            row += [ratio_cell(ratio(a and a.rps, b and b.rps)),
                    ratio_cell(ratio(a and a.p99_ms, b and b.p99_ms))]
        rows.append(row)
    return rows


THROUGHPUT_HEADERS = ["", "keep-alive req/s", "p99 ms", "new conn/request req/s", "p99 ms"]
RATIO_HEADERS = ["ratio", "keep-alive req/s", "p99", "new conn/request req/s", "p99"]
PROXY_PAIRS = [("ours, HTTP mode", "HAProxy mode http"), ("ours, TCP mode", "HAProxy mode tcp"),
               ("ours, HTTP mode", "nginx proxy_pass")]


def report_proxy(results, ctx):
    return ([f"## Through a proxy: {BACKENDS} web_server backends, GET / "
             f"(wrk -t2 -c{CONNECTIONS}, median of {ctx.runs} x {ctx.seconds} s)", ""]
            + table(THROUGHPUT_HEADERS, throughput_rows(results, results[False].keys())) + [""]
            + table(RATIO_HEADERS, throughput_ratios(results, PROXY_PAIRS)))


def cost_cells(c):
    return ["n/a", "n/a"] if c is None else [f"{c.cpu_us:.1f}", f"{c.wakeups:.2f}"]


def report_cost(results, ctx):
    keep, close = results[False], results[True]
    rows = [[name] + cost_cells(keep[name]) + cost_cells(close[name]) for name in keep]
    for ours, peer in (("ours, HTTP mode", "HAProxy mode http"),
                       ("ours, TCP mode", "HAProxy mode tcp")):
        row = [f"{ours} / {peer}"]
        for side in (keep, close):
            a, b = side[ours], side[peer]
            # Wake-ups have no ratio: an event loop under load hardly ever sleeps (near 0).
            row += [ratio_cell(ratio(a and a.cpu_us, b and b.cpu_us)), ""]
        rows.append(row)
    return ([f"## Cost per request: the proxy's CPU time and wake-ups (wrk -t2 -c{CONNECTIONS}, "
             f"GET /, median of {ctx.runs} x {ctx.seconds} s)", ""]
            + table(["", "keep-alive CPU us", "wake-ups", "new conn/request CPU us", "wake-ups"],
                    rows))


def report_static(results, ctx):
    names = list(results[False].keys())
    return ([f"## Serving {STATIC_PAGE} ({os.path.getsize(STATIC_DIR + STATIC_PAGE)} bytes) "
             f"from web_server/www (wrk -t2 -c{CONNECTIONS}, median of {ctx.runs})", ""]
            + table(THROUGHPUT_HEADERS, throughput_rows(results, names)) + [""]
            + table(RATIO_HEADERS, throughput_ratios(results, [tuple(names)])))


def report_tools(results, ctx):
    rows = [[name, rps_cell(s), p99_cell(s)] for name, s in results.items()]
    client, wrk_run = results["client"], results["wrk"]
    rows.append(["client / wrk", ratio_cell(ratio(client.rps, wrk_run.rps)),
                 ratio_cell(ratio(client.p99_ms, wrk_run.p99_ms))])
    return ([f"## Load tools: our client (--concurrency {CONNECTIONS}) and wrk (-t2 -c{CONNECTIONS})"
             f" against one web_server, GET / (median of {ctx.runs})", ""]
            + table(["", "req/s", "p99 ms (as each tool measures it)"], rows))


def report_websocket(results, ctx):
    rows = [[name, rps_cell(s), p99_cell(s)] for name, s in results.items()]
    for ours, peer in (("ours, HTTP mode", "HAProxy mode http"),
                       ("ours, HTTP mode", "direct to one web_server")):
        a, b = results[ours], results[peer]
        rows.append([f"{ours} / {peer}", ratio_cell(ratio(a and a.rps, b and b.rps)),
                     ratio_cell(ratio(a and a.p99_ms, b and b.p99_ms))])
    return ([f"## WebSocket echo: client --ws --concurrency {CONNECTIONS}, {WS_MESSAGE_SIZE}-byte "
             f"messages to web_server's /ws, round trip (median of {ctx.runs} x {ctx.seconds} s)",
             ""] + table(["", "messages/s", "p99 ms"], rows))


def report_replication(result, ctx):
    if result["lines"] is None:
        return ["## Replication (bench/replication.py)", "", f"not measured: {result['why']}"]
    return result["lines"]


def kib_cell(held):
    return "n/a" if held is None or held.per_connection_kib is None \
        else f"{held.per_connection_kib:.1f}"


def report_hold(results, ctx):
    rows = [[name, "n/a", "n/a", "n/a", "n/a"] if h is None else
            [name, f"{h.held:,} of {h.wanted:,}", f"{h.before_kib / 1024:.1f}",
             f"{h.after_kib / 1024:.1f}", kib_cell(h)] for name, h in results.items()]
    for ours, peer in (("ours, HTTP mode", "HAProxy mode http"),
                       ("ours, TCP mode", "HAProxy mode tcp")):
        a, b = results[ours], results[peer]
        rows.append([f"{ours} / {peer}", "", "", "", ratio_cell(
            ratio(a and a.per_connection_kib, b and b.per_connection_kib))])
    return ([f"## Idle keep-alive connections held ({ctx.hold_note})", ""]
            + table(["", "held", "RSS before MiB", "RSS after MiB", "KiB per connection"], rows))


def failed_median(reports):
    return None if not reports else statistics.median(r["failed"] for r in reports)


def report_failover(results, ctx):
    rows = []
    for name, reports in results.items():
        if not reports:
            rows.append([name, "n/a", "n/a", "n/a"])
            continue
        rows.append([name, f"{statistics.median(r['requests'] for r in reports):,.0f}",
                     f"{failed_median(reports):,.0f}",
                     ", ".join(str(r["failed"]) for r in reports)])
    return ([f"## Failover: client --concurrency {FAILOVER_CONCURRENCY} for {FAILOVER_SECONDS} s "
             f"through a fresh proxy, one of {BACKENDS} backends SIGKILLed at "
             f"{FAILOVER_KILL_AT:g} s (median of {ctx.runs})", ""]
            + table(["", "requests", "failed", "failed in each run"], rows))


def verdict(holds):
    return "not measured" if holds is None else ("holds" if holds else "MISSES")


def target_rows(res):
    """(target, measured, verdict) for each goal the suite sets itself."""
    rows = []
    proxy, static, tools = res.get("proxy"), res.get("static"), res.get("tools")
    hold, failover = res.get("hold"), res.get("failover")
    for ours, peer, label in (("ours, HTTP mode", "HAProxy mode http", "HTTP mode >= HAProxy http"),
                              ("ours, TCP mode", "HAProxy mode tcp", "TCP mode >= HAProxy tcp")):
        for close, how in ((False, "keep-alive"), (True, "new conn/request")):
            r = proxy and ratio(proxy[close][ours] and proxy[close][ours].rps,
                                proxy[close][peer].rps)
            rows.append([f"{label} req/s, {how}", ratio_cell(r), verdict(r and r >= 1.0)])
    for close, how in ((False, "keep-alive"), (True, "new conn/request")):
        r = static and ratio(static[close]["web_server --static-dir"].rps,
                             static[close]["nginx"].rps)
        rows.append([f"web_server >= nginx req/s, {how}", ratio_cell(r), verdict(r and r >= 1.0)])
    r = tools and ratio(tools["client"].rps, tools["wrk"].rps)
    rows.append(["client >= wrk req/s", ratio_cell(r), verdict(r and r >= 1.0)])
    for mode in ("HTTP mode", "TCP mode"):
        kib = hold and hold["ours, " + mode] and hold["ours, " + mode].per_connection_kib
        rows.append([f"< 64 KiB RSS per held connection, {mode}",
                     "n/a" if kib is None else f"{kib:.1f} KiB", verdict(kib and kib < 64)])
    for mode in ("HTTP mode", "TCP mode"):
        failed = failover and failed_median(failover["ours, " + mode])
        rows.append([f"zero failed requests on failover, {mode}",
                     "n/a" if failed is None else f"{failed:g} failed", verdict(
                         None if failed is None else failed == 0)])
    return rows


def report(results, ctx, machine_lines):
    sections = {"proxy": report_proxy, "cost": report_cost, "static": report_static,
                "tools": report_tools,
                "websocket": report_websocket, "hold": report_hold, "failover": report_failover,
                "replication": report_replication}
    lines = [f"# make bench: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}", ""]
    lines += machine_lines + [""]
    if "http" not in ctx.modes:
        lines += ["n/a: this build's load_balancer has no --mode http (its --help lists "
                  f"{', '.join(sorted(ctx.modes))}).", ""]
    for name, write in sections.items():
        if name in results:
            lines += write(results[name], ctx) + [""]
    # The replication section prints its own targets; the rest are judged here.
    if set(results) - {"replication"}:
        lines += ["## Targets", ""] + table(["target", "measured", ""], target_rows(results))
    return lines


# ---------------------------------------------------------------- machine and limits

def first_line(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError as e:
        return f"unavailable ({e.strerror})"
    return (done.stdout + done.stderr).strip().splitlines()[0]


def machine_description(note):
    with open("/proc/cpuinfo") as f:
        model = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
    with open("/proc/meminfo") as f:
        mem_kib = int(re.search(r"^MemTotal:\s+(\d+)", f.read(), re.M).group(1))
    commit = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
    lines = [f"- CPU: {model.group(1) if model else 'unknown'}, "
             f"{len(os.sched_getaffinity(0))} cores (nproc)",
             f"- Memory: {mem_kib / 1024 / 1024:.1f} GiB; kernel {platform.release()}",
             f"- Peers: {first_line(['haproxy', '-v'])}; {first_line(['nginx', '-v'])}; "
             f"{first_line(['wrk', '-v'])}",
             f"- Suite: commit {commit}{' with uncommitted changes' if dirty else ''}",
             f"- Load average (1, 5, 15 min) at the start: {load_average()}"]
    return lines + ([f"- Note: {note}"] if note else [])


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def raise_fd_limit(want=65536):
    """Soft and hard RLIMIT_NOFILE as high as allowed; every process started here inherits it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, want), max(hard, want)))
    except (ValueError, OSError):  # raising the hard limit needs privilege
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def hold_count(wanted):
    """How many connections the hold test may open, and why not more. The balancer holds two
    descriptors per connection (client, backend), and each connection costs a thread in the
    balancer and one in a web_server, all out of the system's pid space."""
    _, fds = resource.getrlimit(resource.RLIMIT_NOFILE)
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    with open("/proc/loadavg") as f:
        threads_now = int(f.read().split()[3].split("/")[1])
    limits = {"requested": wanted, "fd limit": (fds - 512) // 2,
              "pid_max": (pid_max - threads_now - 4096) // 2}
    reason = min(limits, key=limits.get)
    n = max(0, limits[reason])
    return n, f"{n:,} connections" + ("" if reason == "requested" else f", bounded by {reason}")


# ---------------------------------------------------------------- main

def replication_section(ctx):
    """bench/replication.py's table (its own servers, its own temp folder), or why it has none."""
    argv = [sys.executable, os.path.join(BENCH, "replication.py"), "--build-dir", ctx.build,
            "--runs", str(ctx.runs), "--seconds", str(ctx.seconds)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=REPLICATION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"lines": None, "why": f"replication.py took over {REPLICATION_TIMEOUT} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"lines": None, "why": lines[-1] if lines else f"exit {done.returncode}"}
    return {"lines": done.stdout.rstrip("\n").splitlines(), "why": None}


REPLICATION_TIMEOUT = 1800  # seconds; replication.py bounds each of its own steps inside it

SECTIONS = {"proxy": proxy_section, "cost": cost_section, "static": static_section,
            "tools": tools_section,
            "websocket": websocket_section, "hold": hold_section, "failover": failover_section,
            "replication": replication_section}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR",
                                                              os.path.join(ROOT, "build")))
    parser.add_argument("--duration", type=int, default=3, help="seconds per measured run")
    parser.add_argument("--runs", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--hold", type=int, default=HOLD_MAX, help="idle connections to hold")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                        help="a line for the machine description (or BENCH_NOTE=...)")
    parser.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    args = parser.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or args.duration < 1 or args.runs < 1:
        parser.error(f"--sections takes {','.join(SECTIONS)}; --duration and --runs at least 1")
    return args


def check_tools(build, sections):
    # The replication section measures our servers alone: it runs without the peers.
    peers = ("haproxy", "nginx", "wrk") if set(sections) - {"replication"} else ()
    missing = [t for t in peers if not shutil.which(t)]
    missing += [p for p in (os.path.join(build, b) for b in ("web_server", "load_balancer",
                                                             "client")) if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"compare.sh: missing {', '.join(missing)} (scripts/install-deps.sh bench; make)")


def run(args, workdir):
    procs, started = Processes(workdir), time.monotonic()
    try:
        ctx = Context(args, procs)
        machine = machine_description(args.note)
        results = {}
        for name in args.sections:
            print(f"compare.sh: {name} ...", file=sys.stderr, flush=True)
            results[name] = SECTIONS[name](ctx)
        machine.append(f"- Load average at the end: {load_average()}; compare.sh took "
                       f"{time.monotonic() - started:.0f} s")
        return report(results, ctx, machine)
    finally:
        procs.stop_all()


def main():
    args = parse_args()
    check_tools(args.build_dir, args.sections)
    raise_fd_limit()
    # SIGTERM and SIGHUP unwind like Ctrl-C, so every started process is stopped on the way out.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    workdir = tempfile.mkdtemp(prefix="bench.")
    try:
        lines = run(args, workdir)
    except (StartError, RuntimeError, subprocess.TimeoutExpired) as e:
        sys.exit(f"compare.sh: {e}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
