"""`./dev bench [engine|export|gui|review] [ARGS]`: run one benchmark, or all of them in turn."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "engine": "benchmarks.bench_engine",
    "export": "benchmarks.bench_export",
    "gui": "benchmarks.bench_gui",
    "review": "benchmarks.bench_review",
}


def main(argv: list[str]) -> int:
    names = [argv[0]] if argv and argv[0] in BENCHMARKS else list(BENCHMARKS)
    rest = argv[1:] if argv and argv[0] in BENCHMARKS else argv
    status = 0
    for name in names:
        print(f"=== {name} ===", flush=True)
        module = importlib.import_module(BENCHMARKS[name])
        status |= module.main(rest) or 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
