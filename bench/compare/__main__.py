"""The suite beside HAProxy, nginx and wrk, measured in one run on this machine (`make bench`).

Usage: python3 -m bench.compare [--build-dir DIR] [--duration S] [--runs N] [--hold N]
                                [--note TEXT] [--out FILE]
                                [--sections proxy,cost,static,tools,websocket,hold,failover,replication]

Python (standard library only) rather than shell: the run alternates contenders, takes medians,
parses wrk's text and the client's JSON and holds thousands of sockets, all of which read more
plainly here. Every process is started on 127.0.0.1 on a free port, tracked by PID and stopped by
PID on exit; every wait has a deadline. The table goes to stdout and to bench/RESULTS.md;
bench/README.md says how to read it. Run it from the repository's top folder.
"""

import argparse
import datetime
import os
import shutil
import sys
import time

from . import cost, failover, hold, proxy, replication, static, tools, websocket
from .cast import Context
from .machine import load_average, machine_description, raise_fd_limit
from .processes import Processes, run_in_workdir
from .settings import BENCH, ROOT
from .table import table
from .targets import target_rows

PROG = "python3 -m bench.compare"
NAME = "compare"  # how its messages and the report name it
# Each section module measures (measure(ctx) -> results) and reports (report(results, ctx) ->
# lines); the report keeps this order whatever order --sections gives.
SECTIONS = {"proxy": proxy, "cost": cost, "static": static, "tools": tools,
            "websocket": websocket, "hold": hold, "failover": failover,
            "replication": replication}


def report(results, ctx, machine_lines):
    lines = [f"# make bench: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}", ""]
    lines += machine_lines + [""]
    if "http" not in ctx.modes:
        lines += ["n/a: this build's load_balancer has no --mode http (its --help lists "
                  f"{', '.join(sorted(ctx.modes))}).", ""]
    for name, section in SECTIONS.items():
        if name in results:
            lines += section.report(results[name], ctx) + [""]
    # The replication section prints its own targets; the rest are judged here.
    if set(results) - {"replication"}:
        lines += ["## Targets", ""] + table(["target", "measured", ""], target_rows(results))
    return lines


def parse_args():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR",
                                                              os.path.join(ROOT, "build")))
    parser.add_argument("--duration", type=int, default=3, help="seconds per measured run")
    parser.add_argument("--runs", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--hold", type=int, default=hold.HOLD_MAX, help="idle connections to hold")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                        help="a line for the machine description (or BENCH_NOTE=...)")
    parser.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    args = parser.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or args.duration < 1 or args.runs < 1:
        parser.error(f"--sections takes {','.join(SECTIONS)}; --duration and --runs at least 1")
    return args


def check_tools(build, sections):
    # The replication section measures our servers alone: it runs without the peers.
    peers = ("haproxy", "nginx", "wrk") if set(sections) - {"replication"} else ()
    missing = [t for t in peers if not shutil.which(t)]
    missing += [p for p in (os.path.join(build, b) for b in ("web_server", "load_balancer",
                                                             "client")) if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"{NAME}: missing {', '.join(missing)} (scripts/install-deps.sh bench; make)")


def run(args, workdir):
    procs, started = Processes(workdir), time.monotonic()
    try:
        ctx = Context(args, procs)
        machine = machine_description(args.note)
        results = {}
        for name in args.sections:
            print(f"{NAME}: {name} ...", file=sys.stderr, flush=True)
            results[name] = SECTIONS[name].measure(ctx)
        machine.append(f"- Load average at the end: {load_average()}; {NAME} took "
                       f"{time.monotonic() - started:.0f} s")
        return report(results, ctx, machine)
    finally:
        procs.stop_all()


def main():
    args = parse_args()
    check_tools(args.build_dir, args.sections)
    raise_fd_limit()
    lines = run_in_workdir(NAME, "bench.", lambda workdir: run(args, workdir), (RuntimeError,))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(args.out, "w") as f:
        f.write(text)


main()
