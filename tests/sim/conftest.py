"""Fixtures of the simulator tests: hermetic SDK settings, started simulators, SDK clients."""

from __future__ import annotations

from collections.abc import Iterator

import perceptron
import pytest

from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.server import Simulator
from tests.sim.helpers import KEY, MODEL, ClientFactory


@pytest.fixture(autouse=True)
def _hermetic_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SDK setting from the environment leaks into the tests."""
    for name in (
        "PERCEPTRON_API_KEY",
        "PERCEPTRON_BASE_URL",
        "PERCEPTRON_MODEL",
        "PERCEPTRON_PROVIDER",
        "FAL_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A running simulator with default settings (any key accepted)."""
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Builds SDK clients pointed at a simulator; closes them afterwards."""
    clients: list[perceptron.Client] = []

    def make(simulator: Simulator, *, api_key: str = KEY, timeout: float = 10.0) -> perceptron.Client:
        client = perceptron.Client(base_url=simulator.base_url, api_key=api_key, model=MODEL, timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(sim: Simulator, make_client: ClientFactory) -> perceptron.Client:
    return make_client(sim)
