"""What the sections share: where things are and how the backends and our servers run."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
STATIC_DIR = os.path.join(ROOT, "web_server", "www")
STATIC_PAGE = "/index.html"  # served by web_server --static-dir and by nginx from the same folder
BACKENDS = 4
CONNECTIONS = 64          # wrk -c and client --concurrency in the throughput rows
READY_TIMEOUT = 30.0      # seconds a server may take to become ready
DRAIN = "1s"              # our servers' --drain-timeout: stopping one between tests stays quick
