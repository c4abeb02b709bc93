"""tools: our client and wrk driving the same web_server."""

from .load import alternate, client_sample, url, wrk
from .settings import CONNECTIONS
from .table import p99_cell, ratio, ratio_cell, rps_cell, table


def measure(ctx):
    """Our client and wrk driving the same web_server over the same number of connections."""
    target = url(ctx.backends.addresses[0])
    return alternate({"client": lambda seconds: client_sample(ctx.build, target, seconds),
                      "wrk": lambda seconds: wrk(target, seconds)}, ctx.runs, ctx.seconds)


def report(results, ctx):
    rows = [[name, rps_cell(s), p99_cell(s)] for name, s in results.items()]
    client, wrk_run = results["client"], results["wrk"]
    rows.append(["client / wrk", ratio_cell(ratio(client.rps, wrk_run.rps)),
                 ratio_cell(ratio(client.p99_ms, wrk_run.p99_ms))])
    return ([f"## Load tools: our client (--concurrency {CONNECTIONS}) and wrk (-t2 -c{CONNECTIONS})"
             f" against one web_server, GET / (median of {ctx.runs})", ""]
            + table(["", "req/s", "p99 ms (as each tool measures it)"], rows))

