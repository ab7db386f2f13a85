"""HTTP plumbing of the simulator: a threaded HTTP/1.1 server that can drop all its connections at once,
and helpers that write answers (``Answer``, ``write``), discard refused bodies and wait interruptibly.

``HttpServer`` runs one daemon thread per connection (keep-alive, so a shared client pool of 64+
connections is served concurrently), tracks its open connections so ``close_connections`` can shut them
all down on ``stop``, and hands every request to a ``dispatch`` callable. It knows nothing of the API.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DRAIN_LIMIT = 256 * 1024 * 1024  # discard at most this much of a refused body before closing


class HttpServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` bound at construction, with connection tracking and a stop event."""

    daemon_threads = True
    allow_reuse_address = True  # rebinding the same port right after stop(), despite TIME_WAIT
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        dispatch: Callable[[Handler], None],
        verbose: Callable[[], bool],
    ) -> None:
        self.dispatch = dispatch
        self.verbose = verbose
        self.stop_event = threading.Event()  # set by stop(): waits of this server's requests end
        self._conn_cond = threading.Condition()
        self._connections: set[socket.socket] = set()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_cond:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_cond:
            self._connections.discard(request)
            self._conn_cond.notify_all()
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose():
            super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> bool:
        """Shut every open connection down (waking the threads blocked on them) and wait, at most
        ``timeout`` seconds, for their threads to let go of them. False when some are still open."""
        with self._conn_cond:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            return self._conn_cond.wait_for(lambda: not self._connections, timeout)


class Handler(BaseHTTPRequestHandler):
    """Passes every request, whatever its method, to the server's ``dispatch``."""

    protocol_version = "HTTP/1.1"
    server_version = "PerceptronSimulator/0.1"
    disable_nagle_algorithm = True
    server: HttpServer

    def do_POST(self) -> None:
        self.server.dispatch(self)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815 - the stdlib's naming scheme

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose():
            super().log_message(format, *args)


@dataclass
class Answer:
    """One complete answer: a body, or (``events``) a chunked ``text/event-stream``."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # end the connection after it
    events: list[bytes] | None = None
    drain: int = 0  # bytes of a refused request body to read and discard after answering


def write(h: Handler, answer: Answer, trace_id: str) -> None:
    """Write ``answer`` with an ``x-trace-id`` header."""
    h.send_response(answer.status)
    if answer.events is None:
        h.send_header("Content-Type", answer.content_type)
        h.send_header("Content-Length", str(len(answer.body)))
    else:
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
    h.send_header("x-trace-id", trace_id)
    for name, value in answer.headers.items():
        h.send_header(name, value)
    if answer.close:
        h.send_header("Connection", "close")
        h.close_connection = True
    h.end_headers()
    if answer.events is None:
        h.wfile.write(answer.body)
    else:
        for event in answer.events:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        h.wfile.write(b"0\r\n\r\n")
    if answer.drain:
        drain(h, answer.drain)


def drain(h: Handler, length: int) -> None:
    """Discard up to ``length`` bytes of a refused body, so that closing the connection does not reset it
    before the client has read the answer."""
    remaining = min(length, _DRAIN_LIMIT)
    h.connection.settimeout(5.0)
    try:
        while remaining > 0:
            chunk = h.rfile.read1(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:
        pass
    h.close_connection = True


def discard_body(h: Handler) -> None:
    """Read and drop a small body (so the connection can serve the next request); close on a large one."""
    raw = h.headers.get("Content-Length", "0").strip()
    length = int(raw) if raw.isdigit() else 0
    if length > 1 << 20:
        h.close_connection = True
    elif length:
        h.rfile.read(length)


def wait(h: Handler, stop: threading.Event, seconds: float) -> bool:
    """Wait ``seconds``; returns True early when ``stop`` is set or the client closed the connection."""
    if seconds <= 0:
        return stop.is_set()
    end = time.monotonic() + seconds
    conn = h.connection
    watch = True
    while not stop.is_set():
        remaining = end - time.monotonic()
        if remaining <= 0:
            return False
        if not watch:
            stop.wait(remaining)
            continue
        readable, _, _ = select.select([conn], [], [], min(remaining, 0.25))
        if readable:
            try:
                if conn.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except OSError:
                return True
            watch = False  # data before our answer (pipelining): stop watching, keep waiting
    return True
