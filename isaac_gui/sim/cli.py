"""``isaac-gui simulate``: run the Perceptron API simulator in the foreground until Ctrl-C.

The main command line wires this in with ``add_arguments`` and ``run``; ``python -m isaac_gui.sim`` runs
it on its own.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .config import FAULTS, SimulatorConfig, normalize_fault
from .server import Simulator

# --fault NAME=RATE → the SimulatorConfig field of each random fault.
_FAULT_FIELDS = {
    "500": "p_500",
    "503": "p_503",
    "hang": "p_hang",
    "drop": "p_drop",
    "malformed": "p_malformed",
    "markup": "p_malformed_markup",
    "out_of_range": "p_out_of_range",
}


def _fault(text: str) -> tuple[str, float]:
    name, sep, rate = text.partition("=")
    try:
        field = _FAULT_FIELDS.get(normalize_fault(name))
        value = float(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected NAME=RATE, got {text!r}: {exc}") from exc
    if not sep or field is None or not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"expected NAME=RATE with NAME one of {', '.join(_FAULT_FIELDS)} and 0 <= RATE <= 1, got {text!r}"
        )
    return field, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 = any free port (default 8765)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="median answer latency")
    parser.add_argument("--jitter", type=float, default=0.0, metavar="SECONDS", help="latency spread")
    parser.add_argument("--rpm", type=int, default=None, metavar="N", help="requests per minute per key")
    parser.add_argument("--api-key", default=None, metavar="KEY", help="accept only this key (default: any)")
    parser.add_argument("--max-body-mb", type=float, default=20.0, metavar="MB", help="request body limit")
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="NAME=RATE",
        help=f"inject a random fault at this rate (repeatable); NAME: {', '.join(_FAULT_FIELDS)}",
    )
    parser.add_argument("--quota-exhausted", action="store_true", help="answer 429 insufficient_quota")
    parser.add_argument("--seed", type=int, default=None, help="seed of the latency and fault draws")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--no-inspect",
        action="store_true",
        help="answer without decoding the images (no boxes): a cheap stand-in for throughput benchmarks",
    )


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The ``SimulatorConfig`` the parsed options describe (ValueError when inconsistent)."""
    rates = dict(args.fault)
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        latency_median_s=args.latency,
        latency_jitter_s=args.jitter,
        rpm_limit=args.rpm,
        api_key=args.api_key,
        max_body_bytes=max(1, round(args.max_body_mb * 1_000_000)),
        quota_exhausted=args.quota_exhausted,
        seed=args.seed,
        verbose=args.verbose,
        inspect_pixels=not args.no_inspect,
        **rates,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); 0 on a clean stop, 2 on bad options or a busy port."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    sim = Simulator(config)
    try:
        sim.start()
    except OSError as exc:
        print(f"simulate: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_term)
    print(f"Perceptron API simulator listening on {sim.base_url}", flush=True)
    print(f"Point the SDK at it:  PERCEPTRON_BASE_URL={sim.base_url} PERCEPTRON_API_KEY=", end="")
    print(config.api_key or "anything", flush=True)
    print(f"Faults it knows: {', '.join(FAULTS)}. Stop with Ctrl-C.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    counts = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(sim.stats.by_status.items()))
    print(f"Stopped after {sim.stats.total_requests} requests ({counts or 'none'}).", flush=True)
    return 0
