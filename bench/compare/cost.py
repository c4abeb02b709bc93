"""cost: the proxy's CPU time and wake-ups per request."""

import os
import re
import statistics
from dataclasses import dataclass

from .load import url, wrk
from .settings import CONNECTIONS
from .table import ratio, ratio_cell, table


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


def measure(ctx):
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


def cost_cells(c):
    return ["n/a", "n/a"] if c is None else [f"{c.cpu_us:.1f}", f"{c.wakeups:.2f}"]


def report(results, ctx):
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

