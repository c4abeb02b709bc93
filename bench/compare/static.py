"""static: web_server and nginx serving the same file."""

import os

from .load import alternate, wrk_on
from .settings import CONNECTIONS, STATIC_DIR, STATIC_PAGE
from .table import RATIO_HEADERS, THROUGHPUT_HEADERS, table, throughput_ratios, throughput_rows


def measure(ctx):
    """web_server and nginx serving the same file, keep-alive and a new connection per request."""
    targets = {"web_server --static-dir": ctx.backends.addresses[0],
               "nginx": ctx.launch("nginx")["static"]}
    results = {close: alternate({name: wrk_on(address, STATIC_PAGE, close)
                                 for name, address in targets.items()}, ctx.runs, ctx.seconds)
               for close in (False, True)}
    ctx.stop_started()
    return results


def report(results, ctx):
    names = list(results[False].keys())
    return ([f"## Serving {STATIC_PAGE} ({os.path.getsize(STATIC_DIR + STATIC_PAGE)} bytes) "
             f"from web_server/www (wrk -t2 -c{CONNECTIONS}, median of {ctx.runs})", ""]
            + table(THROUGHPUT_HEADERS, throughput_rows(results, names)) + [""]
            + table(RATIO_HEADERS, throughput_ratios(results, [tuple(names)])))

