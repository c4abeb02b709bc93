"""The load tools, wrk and our client, each run turned into a Sample; alternate() interleaves
contenders and takes medians."""

import json
import os
import re
import statistics
import subprocess
from dataclasses import dataclass

from .settings import CONNECTIONS


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


def url(address, path="/"):
    return f"http://{address}{path}"


def wrk_on(address, path, close):
    """measure(seconds) for alternate(): wrk against address, or None if there is no address."""
    if address is None:
        return None
    return lambda seconds: wrk(url(address, path), seconds, close)

