"""The goals the suite sets itself, judged from the sections that ran (all but replication, which
judges its own)."""

from .failover import failed_median
from .table import ratio, ratio_cell


def verdict(holds):
    return "not measured" if holds is None else ("holds" if holds else "MISSES")


def target_rows(res):
    """(target, measured, verdict) for each goal the suite sets itself."""
    rows = []
    proxy, static, tools = res.get("proxy"), res.get("static"), res.get("tools")
    hold, failover = res.get("hold"), res.get("failover")
    for ours, peer, label in (("ours, HTTP mode", "HAProxy mode http", "HTTP mode >= HAProxy http"),
                              ("ours, TCP mode", "HAProxy mode tcp", "TCP mode >= HAProxy tcp")):
        for close, how in ((False, "keep-alive"), (True, "new conn/request")):
            r = proxy and ratio(proxy[close][ours] and proxy[close][ours].rps,
                                proxy[close][peer].rps)
            rows.append([f"{label} req/s, {how}", ratio_cell(r), verdict(r and r >= 1.0)])
    for close, how in ((False, "keep-alive"), (True, "new conn/request")):
        r = static and ratio(static[close]["web_server --static-dir"].rps,
                             static[close]["nginx"].rps)
        rows.append([f"web_server >= nginx req/s, {how}", ratio_cell(r), verdict(r and r >= 1.0)])
    r = tools and ratio(tools["client"].rps, tools["wrk"].rps)
    rows.append(["client >= wrk req/s", ratio_cell(r), verdict(r and r >= 1.0)])
    for mode in ("HTTP mode", "TCP mode"):
        kib = hold and hold["ours, " + mode] and hold["ours, " + mode].per_connection_kib
        rows.append([f"< 64 KiB RSS per held connection, {mode}",
                     "n/a" if kib is None else f"{kib:.1f} KiB", verdict(kib and kib < 64)])
    for mode in ("HTTP mode", "TCP mode"):
        failed = failover and failed_median(failover["ours, " + mode])
        rows.append([f"zero failed requests on failover, {mode}",
                     "n/a" if failed is None else f"{failed:g} failed", verdict(
                         None if failed is None else failed == 0)])
    return rows

