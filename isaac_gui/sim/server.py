"""The loopback HTTP server that impersonates the Perceptron API (``POST /v1/chat/completions``).

``Simulator`` runs a threaded HTTP/1.1 keep-alive server (one daemon thread per connection, so a shared
``httpx`` pool of 64+ connections is served concurrently) and answers each request in this order:

1. 404 for any other path, 411 without Content-Length, 413 when the body exceeds ``max_body_bytes``
   (answered before the body is read; the body is then discarded and the connection closed);
2. 401 when an ``api_key`` is configured and the ``Authorization: Bearer`` header does not match;
3. 400 for a body that is not a valid request or whose image is not PNG, JPEG or WebP;
4. 403 for ``forbidden_models``, 404 for a model outside ``allowed_models``;
5. 429 ``insufficient_quota`` when ``quota_exhausted``; 429 with ``Retry-After`` over ``rpm_limit``
   (a refused request does not use a slot of the window);
6. 400 when the image cannot be decoded; otherwise its markers are found (``detector``);
7. the next fault of the ``script``, else the per-image fault (``fail_each_image_times``), else a random
   fault by the ``p_*`` rates (see ``config``), else a normal answer after the simulated latency.

Every answer carries a unique ``x-trace-id``. ``stop()`` closes the listening socket and every open
connection at once (hangs and latency waits end too), and ``start()`` afterwards binds the same port
again, so a test can stage an outage. The HTTP plumbing lives in ``transport``, the wire format in
``protocol``, the counters in ``stats``.
"""

from __future__ import annotations

import hashlib
import math
import random
import sys
import threading
import traceback
import uuid
from collections import deque
from types import TracebackType
from typing import Any

from . import protocol
from .config import RANDOM_FAULTS, SimulatorConfig
from .detector import Detections, detect
from .protocol import ApiError
from .stats import NO_ANSWER, RateLimiter, SimulatorStats
from .transport import Answer, Handler, HttpServer, discard_body, wait, write

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


def sample_latency(rng: random.Random, median: float, jitter: float) -> float:
    """A latency: log-normal with this median (spread ``log1p(jitter / median)``), or half-normal with
    scale ``jitter`` when the median is 0; never negative."""
    if jitter <= 0:
        return max(0.0, median)
    if median > 0:
        return median * math.exp(rng.gauss(0.0, math.log1p(jitter / median)))
    return abs(rng.gauss(0.0, jitter))


class Simulator:
    """The simulated Perceptron API. Use as a context manager, or call ``start()`` and ``stop()``."""

    def __init__(self, config: SimulatorConfig | None = None, **changes: Any) -> None:
        base = config if config is not None else SimulatorConfig()
        self._config = base.replace(**changes) if changes else base
        self.stats = SimulatorStats()
        self._limiter = RateLimiter()
        self._lock = threading.Lock()  # config, script, per-image counts, random generator
        self._lifecycle = threading.Lock()
        self._rng = random.Random(self._config.seed)
        self._script: deque[str] = deque(self._config.script)
        self._image_faults: dict[str, int] = {}
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._port = self._config.port

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind (the same port as before, after a ``stop()``) and serve in a background thread."""
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("the simulator is already running")
            server = HttpServer((self.config.host, self._port), self._handle, lambda: self.config.verbose)
            self._port = server.server_port
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-accept", daemon=True
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close the listening socket and every open connection; idempotent."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        server.stop_event.set()
        server.shutdown()
        server.server_close()
        server.close_connections(timeout)
        thread.join(timeout)

    def __enter__(self) -> Simulator:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (0 before the first ``start()`` when the configured port is 0)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``, what ``PERCEPTRON_BASE_URL`` / ``base_url=`` should be."""
        host = self.config.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}/v1"

    # -- configuration -----------------------------------------------------------------------------

    @property
    def config(self) -> SimulatorConfig:
        with self._lock:
            return self._config

    def update(self, **changes: Any) -> SimulatorConfig:
        """Change settings at runtime (validated; a new ``script`` replaces what was left of the old one,
        a new per-image fault rule restarts its counts, a new ``seed`` reseeds). Returns the new config."""
        with self._lock:
            self._config = self._config.replace(**changes)
            if "script" in changes:
                self._script = deque(self._config.script)
            if "fail_each_image_times" in changes or "fail_each_image_fault" in changes:
                self._image_faults.clear()
            if "seed" in changes:
                self._rng.seed(self._config.seed)
            if "rpm_limit" in changes or "rate_window_s" in changes:
                self._limiter.reset()
            return self._config

    def wait_for_requests(self, n: int, timeout: float) -> bool:
        """Wait until ``n`` requests have arrived (see ``stats`` for more counters); False on timeout."""
        return self.stats.wait_for_requests(n, timeout)

    @property
    def script_remaining(self) -> list[str]:
        with self._lock:
            return list(self._script)

    # -- request handling --------------------------------------------------------------------------

    def _handle(self, h: Handler) -> None:
        """Answer one request. Its status is counted before the answer is written, so a client that has
        its answer can read the counters at once."""
        arrived = self.stats.request_started()
        trace_id = uuid.uuid4().hex
        answer: Answer | None
        try:
            answer = self._serve(h, self.config, h.server.stop_event)
        except ApiError as err:
            answer = Answer(err.status, err.body(), headers=err.headers, close=err.close)
        except OSError:  # the client went away
            answer = None
        except Exception:
            traceback.print_exc(file=sys.stderr)
            body = protocol.error_body("internal simulator error", type="server_error", code="internal_error")
            answer = Answer(500, body, close=True)
        self.stats.request_finished(arrived, NO_ANSWER if answer is None else answer.status)
        if answer is None:
            h.close_connection = True
            return
        try:
            write(h, answer, trace_id)
        except OSError:
            h.close_connection = True

    def _serve(self, h: Handler, cfg: SimulatorConfig, stop: threading.Event) -> Answer | None:
        if h.path.split("?", 1)[0] not in CHAT_PATHS or h.command != "POST":
            discard_body(h)
            message = f"no route for {h.command} {h.path}"
            raise ApiError(404, message, type="not_found_error", code="not_found")
        raw_length = h.headers.get("Content-Length")
        if raw_length is None or not raw_length.strip().isdigit():
            message = "Content-Length is required"
            raise ApiError(411, message, type="invalid_request_error", code="length_required", close=True)
        length = int(raw_length)
        if length > cfg.max_body_bytes:
            message = f"request body of {length} bytes exceeds the limit of {cfg.max_body_bytes} bytes"
            body = protocol.error_body(message, type="invalid_request_error", code="request_too_large")
            return Answer(413, body, close=True, drain=length)
        body = h.rfile.read(length)
        if len(body) < length:
            return None
        key = self._check_auth(h, cfg)
        req = protocol.parse_request(body)
        self._check_admission(req.model, key, cfg)
        found = (
            detect(req.image, req.classes, apply_exif_orientation=cfg.apply_exif_orientation)
            if cfg.inspect_pixels
            else Detections(boxes=[], width=0, height=0)
        )
        fault = self._pick_fault(cfg, hashlib.sha256(req.image).hexdigest())
        if fault == "hang":
            wait(h, stop, cfg.hang_s)
            return None
        if fault == "drop":
            return None
        if fault == "503":
            headers = {"Retry-After": str(cfg.retry_after_503_s)}
            message = "the model is overloaded"
            raise ApiError(503, message, type="server_error", code="overloaded", headers=headers)
        if fault == "429":
            message = "rate limit exceeded"
            headers = {"Retry-After": "1"}
            raise ApiError(429, message, type="rate_limit_error", code="rate_limit_exceeded", headers=headers)
        if wait(h, stop, self._latency(cfg)):
            return None
        if fault == "500":
            raise ApiError(500, "internal server error", type="server_error", code="internal_error")
        fallback = req.classes[0] if req.classes else protocol.GENERAL_MENTION
        if fault == "markup":
            content = protocol.broken_markup(found.boxes, fallback)
        elif fault == "out_of_range":
            content = protocol.out_of_range_markup(found.boxes, fallback)
        else:
            content = protocol.box_markup(found.boxes)
        token_usage = protocol.usage(found.width, found.height, req.text_chars, content)
        completion_id = protocol.new_completion_id()
        if req.stream:
            stream_usage = token_usage if req.include_usage else None
            events = protocol.stream_events(req.model, content, stream_usage, completion_id)
            if fault == "malformed":
                events = [*events[:1], protocol.MALFORMED_EVENT, protocol.DONE_EVENT]
            return Answer(200, events=events)
        if fault == "malformed":
            return Answer(200, protocol.MALFORMED_BODY, content_type="text/html")
        return Answer(200, protocol.completion(req.model, content, token_usage, completion_id))

    def _check_auth(self, h: Handler, cfg: SimulatorConfig) -> str:
        """The caller's key ('' without one); ApiError 401 when it does not match ``cfg.api_key``."""
        header = h.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if cfg.api_key is not None and token != cfg.api_key:
            code = "missing_api_key" if not token else "invalid_api_key"
            message = "no API key was sent" if not token else "the API key is not valid"
            raise ApiError(401, message, type="authentication_error", code=code)
        return token

    def _check_admission(self, model: str, key: str, cfg: SimulatorConfig) -> None:
        if model in cfg.forbidden_models:
            message = f"this key may not use the model {model!r}"
            raise ApiError(403, message, type="permission_error", code="model_not_permitted", param="model")
        if cfg.allowed_models is not None and model not in cfg.allowed_models:
            message = f"the model {model!r} does not exist"
            raise ApiError(404, message, type="not_found_error", code="model_not_found", param="model")
        if cfg.quota_exhausted:
            message = "you have run out of credits; add credits to continue"
            raise ApiError(429, message, type="insufficient_quota", code="insufficient_quota")
        retry_in = self._limiter.admit(key, cfg.rpm_limit, cfg.rate_window_s)
        if retry_in is not None:
            message = f"rate limit of {cfg.rpm_limit} requests per {cfg.rate_window_s:g} s exceeded"
            headers = {"Retry-After": str(max(1, math.ceil(retry_in)))}
            raise ApiError(429, message, type="rate_limit_error", code="rate_limit_exceeded", headers=headers)

    def _pick_fault(self, cfg: SimulatorConfig, image_hash: str) -> str:
        with self._lock:
            if self._script:
                return self._script.popleft()
            if cfg.fail_each_image_times:
                seen = self._image_faults.get(image_hash, 0)
                if seen < cfg.fail_each_image_times:
                    self._image_faults[image_hash] = seen + 1
                    return cfg.fail_each_image_fault
            draw = self._rng.random()
        total = 0.0
        for name, fault in RANDOM_FAULTS:
            rate: float = getattr(cfg, name)
            total += rate
            if rate > 0 and draw < total:
                return fault
        return "ok"

    def _latency(self, cfg: SimulatorConfig) -> float:
        with self._lock:
            return sample_latency(self._rng, cfg.latency_median_s, cfg.latency_jitter_s)
