"""proxy: requests/s and p99 through each proxy, keep-alive and a new connection per request."""

from .load import alternate, wrk_on
from .settings import BACKENDS, CONNECTIONS
from .table import RATIO_HEADERS, THROUGHPUT_HEADERS, table, throughput_ratios, throughput_rows


def measure(ctx):
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


PROXY_PAIRS = [("ours, HTTP mode", "HAProxy mode http"), ("ours, TCP mode", "HAProxy mode tcp"),
               ("ours, HTTP mode", "nginx proxy_pass")]


def report(results, ctx):
    return ([f"## Through a proxy: {BACKENDS} web_server backends, GET / "
             f"(wrk -t2 -c{CONNECTIONS}, median of {ctx.runs} x {ctx.seconds} s)", ""]
            + table(THROUGHPUT_HEADERS, throughput_rows(results, results[False].keys())) + [""]
            + table(RATIO_HEADERS, throughput_ratios(results, PROXY_PAIRS)))

