"""The processes a run starts, tracked and stopped by PID, and waiting for them to be ready."""

import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .settings import READY_TIMEOUT


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



def run_in_workdir(name, prefix, run, errors=()):
    """The lines run(workdir) returns, run in a temporary folder removed afterwards. SIGTERM and
    SIGHUP unwind like Ctrl-C, so every started process is stopped on the way out; a StartError,
    a timeout or one of `errors` ends the program with one line "name: why"."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    workdir = tempfile.mkdtemp(prefix=prefix)
    try:
        return run(workdir)
    except (StartError, subprocess.TimeoutExpired, *errors) as e:
        sys.exit(f"{name}: {e}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
