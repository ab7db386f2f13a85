"""The simulator's settings: limits, latency and the faults it injects.

``SimulatorConfig`` is an immutable-by-convention dataclass: the running ``Simulator`` swaps whole
instances (``Simulator.update``), so a request always sees one consistent configuration.

Fault names (for ``script``, ``fail_each_image_fault`` and the command line):

- ``ok``: a normal answer (only meaningful in a script)
- ``500``: HTTP 500 server error
- ``503``: HTTP 503 with ``Retry-After: retry_after_503_s``
- ``429``: HTTP 429 rate limit with ``Retry-After: 1`` (script only; random 429s come from ``rpm_limit``)
- ``hang``: no answer until ``hang_s`` passes or the server stops, then the connection is closed
- ``drop``: the connection is closed without an answer
- ``malformed``: HTTP 200 whose body is not JSON (a stream: a chunk that is not JSON)
- ``markup``: HTTP 200 whose box markup is broken
- ``out_of_range``: HTTP 200 whose boxes have reversed corners and coordinates above 1000
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

FAULTS: tuple[str, ...] = ("ok", "500", "503", "429", "hang", "drop", "malformed", "markup", "out_of_range")

# The random fault of each probability field, in the order one uniform draw is matched against them.
RANDOM_FAULTS: tuple[tuple[str, str], ...] = (
    ("p_500", "500"),
    ("p_503", "503"),
    ("p_hang", "hang"),
    ("p_drop", "drop"),
    ("p_malformed", "malformed"),
    ("p_malformed_markup", "markup"),
    ("p_out_of_range", "out_of_range"),
)

DEFAULT_MAX_BODY_BYTES = 20_000_000  # "20 MB": the stricter reading, so a client that fits here fits there


def normalize_fault(name: str) -> str:
    """The canonical fault name (``out-of-range`` → ``out_of_range``); ValueError for an unknown one."""
    canonical = name.strip().lower().replace("-", "_")
    if canonical in ("malformed_markup", "broken_markup"):
        canonical = "markup"
    if canonical not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    return canonical


@dataclass
class SimulatorConfig:
    """Everything the simulator can be told. All times are in seconds; probabilities in [0, 1]."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (kept across stop()/start())
    latency_median_s: float = 0.0
    latency_jitter_s: float = 0.0
    rpm_limit: int | None = None  # requests per key per rate_window_s; None = unlimited
    rate_window_s: float = 60.0
    api_key: str | None = None  # None: any key, or none, is accepted
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    forbidden_models: frozenset[str] = frozenset()
    allowed_models: frozenset[str] | None = None  # None: any model
    quota_exhausted: bool = False
    seed: int | None = None
    p_500: float = 0.0
    p_503: float = 0.0
    p_hang: float = 0.0
    p_drop: float = 0.0
    p_malformed: float = 0.0
    p_malformed_markup: float = 0.0
    p_out_of_range: float = 0.0
    script: list[str] = field(default_factory=list)  # faults consumed one per admitted request
    fail_each_image_times: int = 0  # every distinct image gets fail_each_image_fault this many times first
    fail_each_image_fault: str = "503"
    hang_s: float = 300.0
    retry_after_503_s: int = 1
    apply_exif_orientation: bool = False  # False: boxes are on the stored pixel grid, tag ignored
    # False: answer "no objects" without decoding the image — a remote service's CPU is not ours,
    # so throughput benchmarks on a 2-core machine turn the simulator's own work off.
    inspect_pixels: bool = True
    verbose: bool = False  # log one line per request to stderr

    def __post_init__(self) -> None:
        self.forbidden_models = frozenset(self.forbidden_models)
        if self.allowed_models is not None:
            self.allowed_models = frozenset(self.allowed_models)
        self.script = [normalize_fault(name) for name in self.script]
        self.fail_each_image_fault = normalize_fault(self.fail_each_image_fault)
        for name, _ in RANDOM_FAULTS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        total = sum(getattr(self, name) for name, _ in RANDOM_FAULTS)
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {total:.3f} > 1")
        if self.latency_median_s < 0 or self.latency_jitter_s < 0:
            raise ValueError("latency_median_s and latency_jitter_s must be >= 0")
        if self.rpm_limit is not None and self.rpm_limit < 1:
            raise ValueError("rpm_limit must be >= 1 or None")
        if self.rate_window_s <= 0:
            raise ValueError("rate_window_s must be > 0")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        if self.fail_each_image_times < 0:
            raise ValueError("fail_each_image_times must be >= 0")
        if self.hang_s < 0 or self.retry_after_503_s < 0:
            raise ValueError("hang_s and retry_after_503_s must be >= 0")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port out of range: {self.port}")

    def replace(self, **changes: Any) -> SimulatorConfig:
        """A validated copy with ``changes`` applied (unknown names raise TypeError)."""
        return dataclasses.replace(self, **changes)
