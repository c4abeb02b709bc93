"""replication: bench/replication.py's tables, run as its own process with its own servers."""

import os
import subprocess
import sys

from .settings import BENCH


REPLICATION_TIMEOUT = 1800  # seconds; replication.py bounds each of its own steps inside it


def measure(ctx):
    """bench/replication.py's table (its own servers, its own temp folder), or why it has none."""
    argv = [sys.executable, os.path.join(BENCH, "replication.py"), "--build-dir", ctx.build,
            "--runs", str(ctx.runs), "--seconds", str(ctx.seconds)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=REPLICATION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"lines": None, "why": f"replication.py took over {REPLICATION_TIMEOUT} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"lines": None, "why": lines[-1] if lines else f"exit {done.returncode}"}
    return {"lines": done.stdout.rstrip("\n").splitlines(), "why": None}


def report(result, ctx):
    if result["lines"] is None:
        return ["## Replication (bench/replication.py)", "", f"not measured: {result['why']}"]
    return result["lines"]

