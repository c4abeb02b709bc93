"""The cast every section plays with: four web_server backends, and the proxies a section starts
fresh (ours, HAProxy, nginx) from bench's configuration templates."""

import getpass
import grp
import os
import re
import signal
import subprocess
import tempfile
import time

from .machine import hold_count
from .processes import StartError, free_port, read_ready_line, wait_for_port
from .settings import BACKENDS, BENCH, DRAIN, STATIC_DIR


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

