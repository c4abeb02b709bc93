"""The suite beside HAProxy, nginx and wrk (`python3 -m bench.compare`): a module per section of
the benchmark, and the processes, load tools and tables they share."""
