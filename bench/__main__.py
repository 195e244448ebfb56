"""Run the benchmarks: `python -m bench [NAME ...]`, or all of them."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable

from bench import (
    app_shell,
    dashboard,
    load,
    pull_scaling,
    push_fanout,
    push_throughput,
)

BENCHMARKS: dict[str, Callable[[], object]] = {
    "pull": pull_scaling.run,
    "push": push_throughput.run,
    "alerts": push_fanout.run,
    "app": app_shell.run,
    "load": load.run,
    "dashboard": dashboard.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="pull, push, alerts, app, dashboard or load "
                        "(all by default)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    # The database layer reports every connect and shutdown; the figures
    # are what matters here.
    logging.basicConfig(level=logging.WARNING)

    started = time.perf_counter()
    for name in args.names or list(BENCHMARKS):
        BENCHMARKS[name]()
        print(flush=True)
    print(f"Benchmarks took {time.perf_counter() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
