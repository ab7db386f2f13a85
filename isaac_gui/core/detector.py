"""One call to Isaac for one prepared photo, through the official SDK, shared by every worker thread.

The SDK's `detect()` helper opens a new connection pool per call; we build one `perceptron.Client`
(one pooled `httpx.Client`, safe across threads) and send tasks compiled once per call with
`inspect_task`, which produce exactly the helper's request. Boxes leave here as integer pixels of
the photo as displayed.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import perceptron
from perceptron import perceive

from isaac_gui.core.geometry import PixelBox, grid_box_to_pixels
from isaac_gui.core.images import PreparedImage
from isaac_gui.core.run_config import Connection
from isaac_gui.core.turns import WORKER_TURNS, Turns


class MalformedAnswerError(perceptron.errors.ServerError):  # type: ignore[misc]
    """The answer arrived but its box markup is broken: worth asking again."""


@dataclass(frozen=True, slots=True)
class Detection:
    """Isaac's answer for one photo, boxes in pixels of the photo as displayed."""

    boxes: tuple[PixelBox, ...]
    text: str
    request_id: str | None
    usage: dict[str, Any] | None
    finish_reason: str | None
    warnings: tuple[str, ...] = field(default=())


def instruction(classes: Sequence[str]) -> str:
    """The detect helper's own instruction for the Isaac prompt profile."""
    return "Your goal is to segment out the following categories: " + ", ".join(classes)


@perceive(expects="box")  # type: ignore[untyped-decorator]
def _detect_task(image_bytes: bytes, classes: Sequence[str]) -> Any:
    return perceptron.system(instruction(classes)) + perceptron.image(image_bytes)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificates httpx would load (certifi's, or `SSL_CERT_FILE` / `SSL_CERT_DIR`), loaded
    once per process. Loading them takes about 30 ms with the GIL held: every new client would
    otherwise stall the window at the start of every run."""
    return httpx.create_ssl_context()


def warm_up() -> None:
    """Pay the HTTP stack's first use now: its lazy imports and the certificates, about 0.2 s of
    work with the GIL held, which would otherwise fall on the first run's first second."""
    httpx.Client(verify=tls_context()).close()


class Detector:
    """Sends prepared photos to Isaac. Thread-safe: every worker shares one client and its pool."""

    def __init__(
        self, connection: Connection, *, max_connections: int = 32, turns: Turns = WORKER_TURNS
    ) -> None:
        self.connection = connection
        self._turns = turns
        self._http = httpx.Client(
            verify=tls_context(),
            timeout=connection.timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            # Building the request and reading the answer are Python work, done in turns; the
            # wait on the network in between is not (see `turns.Turns`).
            event_hooks={"request": [self._sending], "response": [self._answered]},
        )
        overrides: dict[str, Any] = {"model": connection.model, "timeout": connection.timeout_s}
        if connection.base_url:
            overrides["base_url"] = connection.base_url
        if connection.api_key:
            overrides["api_key"] = connection.api_key
        if connection.provider:
            overrides["provider"] = connection.provider
        self._client = perceptron.Client(http_client=self._http, **overrides)

    def _sending(self, _request: httpx.Request) -> None:
        self._turns.give()

    def _answered(self, _response: httpx.Response) -> None:
        self._turns.take()

    def detect(self, prepared: PreparedImage, classes: Sequence[str]) -> Detection:
        """One request. Raises the SDK's errors (see `retry` for which are worth another try)."""
        with self._turns.turn():
            return self._detect(prepared, classes)

    def _detect(self, prepared: PreparedImage, classes: Sequence[str]) -> Detection:
        task, _issues = perceptron.inspect_task(_detect_task, prepared.body, list(classes))
        result = self._client.generate(task, expects="box")
        errors = result.get("errors") or []
        if errors:
            problems = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise MalformedAnswerError(
                f"the answer's box markup is broken ({problems})",
                code="malformed_markup",
                request_id=result.get("request_id"),
            )
        boxes: list[PixelBox] = []
        out_of_range = 0
        for box in result.get("boxes") or []:
            pixel_box, suspicious = grid_box_to_pixels(
                box.mention or "",
                box.top_left.x,
                box.top_left.y,
                box.bottom_right.x,
                box.bottom_right.y,
                prepared.width,
                prepared.height,
            )
            out_of_range += suspicious
            boxes.append(pixel_box)
        warnings: tuple[str, ...] = ()
        if out_of_range:
            warnings = (f"{out_of_range} box(es) were outside the 0–1000 grid or reversed and were clamped",)
        usage = result.get("usage")
        return Detection(
            boxes=tuple(boxes),
            text=str(result.get("text") or ""),
            request_id=result.get("request_id"),
            usage=dict(usage) if isinstance(usage, dict) else None,
            finish_reason=result.get("finish_reason"),
            warnings=warnings,
        )

    def close(self) -> None:
        self._client.close()
        self._http.close()
