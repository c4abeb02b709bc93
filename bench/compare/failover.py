"""failover: failed requests through a proxy while one backend is SIGKILLed."""

import json
import os
import statistics
import subprocess
import time

from .load import url
from .settings import BACKENDS
from .table import table


FAILOVER_SECONDS, FAILOVER_CONCURRENCY, FAILOVER_KILL_AT = 4, 16, 1.0


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


def measure(ctx):
    names = [(name, c) for name, c in FAILOVER_CONTENDERS if ctx.available(c)]
    reports = {name: [] for name, _ in names}
    for r in range(ctx.runs):
        shift = r % len(names)
        for name, contender in names[shift:] + names[:shift]:
            reports[name].append(failover_once(ctx, contender))
    ctx.backends.revive()
    return {name: reports.get(name) for name, _ in FAILOVER_CONTENDERS}


def failed_median(reports):
    return None if not reports else statistics.median(r["failed"] for r in reports)


def report(results, ctx):
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

