"""The machine the run is on, for the report's heading, and the limits that bound the hold test."""

import os
import platform
import re
import resource
import subprocess

from .settings import ROOT


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

