"""The report's Markdown tables and the cells the sections fill them with."""


def table(headers, rows):
    """A Markdown table padded for reading on a terminal; first column left, the rest right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        padded = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                  for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"
    rule = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                          for i, w in enumerate(widths)) + "|"
    return [line(headers), rule] + [line(row) for row in rows]


def rps_cell(s):
    if s is None:
        return "n/a"
    return (f"{s.rps:,.0f} ±{s.spread * 50:.0f}%"
            + (f" ({s.errors} err)" if s.errors else ""))


def p99_cell(s):
    return "n/a" if s is None else f"{s.p99_ms:.2f}"


def ratio(ours, peer):
    return None if ours is None or not peer else ours / peer


def ratio_cell(value):
    return "n/a" if value is None else f"{value:.2f}x"


def throughput_rows(results, names):
    keep, close = results[False], results[True]
    return [[name, rps_cell(keep[name]), p99_cell(keep[name]),
             rps_cell(close[name]), p99_cell(close[name])] for name in names]


def throughput_ratios(results, pairs):
    """Rows of ours/peer for requests/s (higher is better) and p99 (lower is better)."""
    rows = []
    for ours, peer in pairs:
        row = [f"{ours} / {peer}"]
        for close in (False, True):
            a, b = results[close][ours], results[close][peer]
            row += [ratio_cell(ratio(a and a.rps, b and b.rps)),
                    ratio_cell(ratio(a and a.p99_ms, b and b.p99_ms))]
        rows.append(row)
    return rows


THROUGHPUT_HEADERS = ["", "keep-alive req/s", "p99 ms", "new conn/request req/s", "p99 ms"]


RATIO_HEADERS = ["ratio", "keep-alive req/s", "p99", "new conn/request req/s", "p99"]

