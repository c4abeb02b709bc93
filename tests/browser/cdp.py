#!/usr/bin/python3
"""Drive a headless Chromium through the Chrome DevTools Protocol, for browser tests.

Usage:
  cdp.py --url URL [--ready-js EXPR] [--wait-js EXPR] [--timeout SECONDS]
         [--screenshot FILE] [--window-size W,H] [--chromium PATH]

Steps:
  1. Launch Chromium headless (its own process group, a fresh --user-data-dir,
     --remote-debugging-port=0; the port is read from DevToolsActivePort) and open URL.
  2. --ready-js EXPR: poll EXPR (every 100 ms) until it is truthy, then print the line
     `ready` to stdout (flushed). The caller may now act (e.g. change server state).
  3. --wait-js EXPR: poll EXPR until it is truthy.
     Without either option the page's load (document.readyState == "complete") is awaited.
  4. --screenshot FILE: write a PNG of the page (Page.captureScreenshot), at the end,
     whether the waits succeeded or timed out.

Each wait phase has its own --timeout (default 30 s). Exit status:
  0  every wait succeeded;
  1  a wait timed out: the expression's last value, the page's console messages and
     exceptions, and the first 2000 characters of document.body.innerText go to stderr;
  2  bad arguments, or Chromium or the DevTools connection failed (reason on stderr).
Chromium (killed by PID with its process group) and its user-data-dir are removed on
every exit path, including SIGTERM and SIGINT.

Requires Python 3 and python3-websockets (asyncio API, version 10 or later).
"""

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0",
]
POLL_SECONDS = 0.1


class Failure(Exception):
    """A setup failure (exit 2), as opposed to a wait that timed out (exit 1)."""


class Browser:
    """The Chromium process and its profile directory; close() removes both."""

    def __init__(self, chromium, window_size):
        self.profile = tempfile.mkdtemp(prefix="cdp-profile-")
        # A file, not a pipe: a full pipe would block a chatty Chromium.
        self.log = tempfile.TemporaryFile()
        args = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                f"--window-size={window_size}", "about:blank"]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=self.log,
                                            start_new_session=True)
        except OSError as e:
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
            raise Failure(f"start {chromium}: {e.strerror}") from e

    def devtools_port(self, timeout):
        """Waits for Chromium to write DevToolsActivePort and returns the port."""
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")[-2000:]
                raise Failure(f"chromium exited with status {self.process.returncode}: {err}")
            try:
                with open(path, encoding="ascii") as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except FileNotFoundError:
                pass
            time.sleep(POLL_SECONDS)
        raise Failure(f"chromium wrote no {path} within {timeout} s")

    def close(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One CDP session on a page target: numbered commands, events kept as messages."""

    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0
        self.pending = {}
        self.messages = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.socket:
            message = json.loads(raw)
            future = self.pending.pop(message.get("id"), None)
            if future is not None:
                future.set_result(message)
            else:
                self._keep_event(message)
        for future in self.pending.values():
            future.set_exception(Failure("DevTools connection closed"))

    def _keep_event(self, message):
        params = message.get("params", {})
        if message.get("method") == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.messages.append(f"console.{params.get('type')}: {text}")
        elif message.get("method") == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description", details.get("text"))
            self.messages.append(f"exception: {text}")

    async def call(self, method, **params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.socket.send(json.dumps({"id": self.next_id, "method": method,
                                           "params": params}))
        reply = await future
        if "error" in reply:
            raise Failure(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    async def evaluate(self, expression):
        """Returns the expression's value, or a string describing the exception."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            return "exception: " + result["result"].get("description", "?")
        return result["result"].get("value")


def page_socket_url(port, timeout):
    """The WebSocket URL of the first page target (the about:blank tab)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            targets = json.load(r)
        pages = [t for t in targets if t.get("type") == "page"]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        if time.monotonic() > deadline:
            raise Failure("chromium has no page target")
        time.sleep(POLL_SECONDS)


async def wait_for(page, expression, timeout):
    """Polls expression until truthy; returns (True, value) or (False, last value)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = await page.evaluate(expression)
        if value and not (isinstance(value, str) and value.startswith("exception: ")):
            return True, value
        await asyncio.sleep(POLL_SECONDS)
    return False, value


async def report_timeout(page, expression, value):
    text = await page.evaluate("document.body ? document.body.innerText : ''")
    print(f"cdp: timed out waiting for: {expression}", file=sys.stderr)
    print(f"cdp: last value: {json.dumps(value)}", file=sys.stderr)
    for line in page.messages:
        print(f"cdp: page {line}", file=sys.stderr)
    print("cdp: page text:\n" + str(text or "")[:2000], file=sys.stderr)


async def run_waits(page, args):
    """Returns the exit status of the wait phases."""
    phases = []
    if args.ready_js:
        phases.append((args.ready_js, True))
    if args.wait_js:
        phases.append((args.wait_js, False))
    if not phases:
        phases.append(("document.readyState === 'complete'", False))
    for expression, announce in phases:
        ok, value = await wait_for(page, expression, args.timeout)
        if not ok:
            await report_timeout(page, expression, value)
            return 1
        if announce:
            print("ready", flush=True)
    return 0


async def drive(port, args):
    url = page_socket_url(port, args.timeout)
    async with websockets.connect(url, max_size=None, open_timeout=args.timeout) as socket:
        page = Page(socket)
        await page.call("Runtime.enable")
        await page.call("Page.enable")
        await page.call("Page.navigate", url=args.url)
        status = await run_waits(page, args)
        if args.screenshot:
            shot = await page.call("Page.captureScreenshot", format="png")
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        page.reader.cancel()
        return status


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ready-js", help="print `ready` once this expression is truthy")
    parser.add_argument("--wait-js", help="exit 0 once this expression is truthy")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per wait")
    parser.add_argument("--screenshot", help="PNG file written at the end")
    parser.add_argument("--window-size", default="1200,800", help="W,H in pixels")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    size = args.window_size.split(",")
    if len(size) != 2 or not all(s.isdigit() and int(s) > 0 for s in size):
        parser.error(f"--window-size: expected W,H in pixels, got {args.window_size!r}")
    return args


def raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, raise_exit)
    signal.signal(signal.SIGINT, raise_exit)
    try:
        browser = Browser(args.chromium, args.window_size)
    except Failure as e:
        print(f"cdp: {e}", file=sys.stderr)
        return 2
    try:
        port = browser.devtools_port(args.timeout)
        return asyncio.run(drive(port, args))
    except (Failure, OSError, websockets.WebSocketException, asyncio.TimeoutError) as e:
        print(f"cdp: {e}", file=sys.stderr)
        return 2
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
