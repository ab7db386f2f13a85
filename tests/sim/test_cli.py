"""The ``simulate`` command: option parsing, and ``python -m isaac_gui.sim`` serving until Ctrl-C."""

from __future__ import annotations

import argparse
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import perceptron
import pytest

from isaac_gui.sim.cli import add_arguments, config_from_args
from tests.sim.helpers import MODEL, box_task, marked_image

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults() -> None:
    config = config_from_args(parse())
    assert (config.host, config.port, config.rpm_limit, config.api_key) == ("127.0.0.1", 8765, None, None)
    assert config.max_body_bytes == 20_000_000


def test_options() -> None:
    args = parse(
        "--port", "0", "--latency", "0.5", "--jitter", "0.1", "--rpm", "300", "--api-key", "k",
        "--max-body-mb", "1.5", "--fault", "503=0.1", "--fault", "out-of-range=0.05",
        "--fault", "markup=0.02", "--quota-exhausted", "--seed", "7",
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.port, config.latency_median_s, config.latency_jitter_s) == (0, 0.5, 0.1)
    assert (config.rpm_limit, config.api_key, config.max_body_bytes) == (300, "k", 1_500_000)
    assert (config.p_503, config.p_out_of_range, config.p_malformed_markup) == (0.1, 0.05, 0.02)
    assert config.quota_exhausted and config.seed == 7


@pytest.mark.parametrize("fault", ["explode=0.1", "503", "503=2", "ok=0.1"])
def test_bad_fault_option(fault: str) -> None:
    with pytest.raises(SystemExit):
        parse("--fault", fault)


@pytest.mark.slow
def test_module_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "isaac_gui.sim", "--port", "0", "--api-key", "cli-key"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=20)
        base_url = first.split()[-1]
        assert first.startswith("Perceptron API simulator listening on http://127.0.0.1:")
        assert f"PERCEPTRON_BASE_URL={base_url}" in lines.get(timeout=5)
        with perceptron.Client(base_url=base_url, api_key="cli-key", model=MODEL, timeout=10) as client:
            result = client.generate(box_task(marked_image([(0, (10, 10, 90, 90))])), expects="box")
        assert [b.mention for b in result["boxes"]] == ["scratch"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        reader.join(timeout=10)  # until the end of its output
        rest = []
        while not lines.empty():
            rest.append(lines.get_nowait())
        assert any("Stopped after 1 requests (200: 1)" in line for line in rest), rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
