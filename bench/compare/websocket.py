"""websocket: message round trips over held WebSocket connections, direct and through proxies."""

from .load import alternate, client_sample, url
from .settings import CONNECTIONS
from .table import p99_cell, ratio, ratio_cell, rps_cell, table


WS_MESSAGE_SIZE = 64      # client --ws --message-size in the WebSocket rows


def ws_on(ctx, address):
    """measure(seconds) for alternate(): client --ws round trips to web_server's /ws echo."""
    if address is None:
        return None
    extra = ("--ws", "--message-size", str(WS_MESSAGE_SIZE))
    return lambda seconds: client_sample(ctx.build, url(address, "/ws"), seconds, extra)


def measure(ctx):
    """Message round trips over 64 held WebSocket connections: direct, through the balancer's
    HTTP mode (an upgraded tunnel) and through HAProxy mode http (which tunnels them too)."""
    targets = {"direct to one web_server": ctx.backends.addresses[0],
               "ours, HTTP mode": ctx.start(("ours", "http")),
               "HAProxy mode http": ctx.launch("haproxy")["http"]}
    results = alternate({name: ws_on(ctx, address) for name, address in targets.items()},
                        ctx.runs, ctx.seconds)
    ctx.stop_started()
    return results


def report(results, ctx):
    rows = [[name, rps_cell(s), p99_cell(s)] for name, s in results.items()]
    for ours, peer in (("ours, HTTP mode", "HAProxy mode http"),
                       ("ours, HTTP mode", "direct to one web_server")):
        a, b = results[ours], results[peer]
        rows.append([f"{ours} / {peer}", ratio_cell(ratio(a and a.rps, b and b.rps)),
                     ratio_cell(ratio(a and a.p99_ms, b and b.p99_ms))])
    return ([f"## WebSocket echo: client --ws --concurrency {CONNECTIONS}, {WS_MESSAGE_SIZE}-byte "
             f"messages to web_server's /ws, round trip (median of {ctx.runs} x {ctx.seconds} s)",
             ""] + table(["", "messages/s", "p99 ms"], rows))

