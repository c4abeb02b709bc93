"""hold: RSS per idle keep-alive connection held through each proxy."""

import errno
import re
import selectors
import socket
import struct
import time
from dataclasses import dataclass

from .table import ratio, ratio_cell, table


HOLD_MAX = 10000          # idle connections held through each proxy, if limits allow
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
HOLD_BATCH = 256      # connections being opened at once: stays inside any accept backlog
HOLD_TIMEOUT = 90.0   # seconds to open and use all of them


def response_complete(buffer):
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = re.search(rb"\r\ncontent-length:\s*(\d+)", buffer[:head_end], re.I)
    return len(buffer) >= head_end + 4 + (int(length.group(1)) if length else 0)


def open_one(selector, address):
    host, port = address.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    # Closing with RST leaves no TIME_WAIT behind, so thousands of ports are free for the next test.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if s.connect_ex((host, int(port))) not in (0, errno.EINPROGRESS):
        s.close()
        return False
    selector.register(s, selectors.EVENT_WRITE, bytearray())
    return True


def advance(selector, key):
    """One step of a held connection: send the request once connected, then read the response.
    Returns 'held', 'failed' or None (not done yet)."""
    s, buffer = key.fileobj, key.data
    try:
        if key.events == selectors.EVENT_WRITE:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                raise OSError("connect failed")
            s.send(REQUEST)  # 33 bytes into an empty send buffer: sent whole
            selector.modify(s, selectors.EVENT_READ, buffer)
            return None
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed")
        buffer += chunk
        if not response_complete(buffer):
            return None
        selector.unregister(s)
        return "held"
    except OSError:
        selector.unregister(s)
        s.close()
        return "failed"


def hold_connections(address, n):
    """Opens n keep-alive connections, sends one request on each and reads its response; returns
    the sockets left open and idle (the caller closes them)."""
    selector, held, opened = selectors.DefaultSelector(), [], 0
    deadline = time.monotonic() + HOLD_TIMEOUT
    while (opened < n or selector.get_map()) and time.monotonic() < deadline:
        while opened < n and len(selector.get_map()) < HOLD_BATCH:
            opened += 1
            open_one(selector, address)
        for key, _ in selector.select(timeout=0.5):
            if advance(selector, key) == "held":
                held.append(key.fileobj)
    for key in list(selector.get_map().values()):  # still pending at the deadline
        key.fileobj.close()
    selector.close()
    return held


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


@dataclass
class Held:
    wanted: int
    held: int
    before_kib: int
    after_kib: int

    @property
    def per_connection_kib(self):
        return (self.after_kib - self.before_kib) / self.held if self.held else None


HOLD_CONTENDERS = [("ours, HTTP mode", ("ours", "http")), ("HAProxy mode http", ("haproxy", "http")),
                   ("ours, TCP mode", ("ours", "tcp")), ("HAProxy mode tcp", ("haproxy", "tcp"))]


def measure(ctx):
    """RSS per idle keep-alive connection, each proxy started fresh for its measurement."""
    results = {}
    for name, contender in HOLD_CONTENDERS:
        address = ctx.start(contender)
        if address is None:
            results[name] = None
            continue
        pid = ctx.started[-1].pid
        time.sleep(0.5)  # past start-up allocations (health checker's first round, HAProxy's pools)
        before = vm_rss_kib(pid)
        sockets = hold_connections(address, ctx.hold)
        time.sleep(1.0)  # the proxy finishes its bookkeeping of the last responses
        results[name] = Held(ctx.hold, len(sockets), before, vm_rss_kib(pid))
        for s in sockets:
            s.close()
        ctx.stop_started()
    return results


def kib_cell(held):
    return "n/a" if held is None or held.per_connection_kib is None \
        else f"{held.per_connection_kib:.1f}"


def report(results, ctx):
    rows = [[name, "n/a", "n/a", "n/a", "n/a"] if h is None else
            [name, f"{h.held:,} of {h.wanted:,}", f"{h.before_kib / 1024:.1f}",
             f"{h.after_kib / 1024:.1f}", kib_cell(h)] for name, h in results.items()]
    for ours, peer in (("ours, HTTP mode", "HAProxy mode http"),
                       ("ours, TCP mode", "HAProxy mode tcp")):
        a, b = results[ours], results[peer]
        rows.append([f"{ours} / {peer}", "", "", "", ratio_cell(
            ratio(a and a.per_connection_kib, b and b.per_connection_kib))])
    return ([f"## Idle keep-alive connections held ({ctx.hold_note})", ""]
            + table(["", "held", "RSS before MiB", "RSS after MiB", "KiB per connection"], rows))

