"""Error answers and injected faults, each mapped by the unmodified SDK to the exception the app handles."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import pytest
from perceptron import errors

from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.server import Simulator
from isaac_gui.sim.stats import NO_ANSWER
from tests.sim.helpers import MODEL, ClientFactory, box_task, marked_image

pytestmark = pytest.mark.timeout(30)

IMAGE = marked_image([(0, (64, 48, 192, 144))])
TASK = box_task(IMAGE)


def test_wrong_key_is_auth_error(make_client: ClientFactory) -> None:
    with Simulator(api_key="right") as sim:
        with pytest.raises(errors.AuthError) as info:
            make_client(sim, api_key="wrong").generate(TASK, expects="box")
        assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
        assert info.value.request_id
        assert make_client(sim, api_key="right").generate(TASK, expects="box")["boxes"]


def test_missing_key_is_401_when_a_key_is_configured() -> None:
    with Simulator(api_key="right") as sim:
        answer = httpx.post(f"{sim.base_url}/chat/completions", content=b"{}", timeout=5)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "missing_api_key"
    with Simulator() as sim:  # no key configured: a request without one is fine
        answer = httpx.post(f"{sim.base_url}/chat/completions", content=b"{}", timeout=5)
        assert answer.status_code == 400


def test_forbidden_model_is_permission_denied(make_client: ClientFactory) -> None:
    with Simulator(forbidden_models=frozenset({MODEL})) as sim:
        with pytest.raises(errors.PermissionDeniedError) as info:
            make_client(sim).generate(TASK, expects="box")
        assert info.value.status_code == 403


def test_unknown_model_is_not_found(make_client: ClientFactory) -> None:
    with Simulator(allowed_models=frozenset({"other-model"})) as sim:
        with pytest.raises(errors.NotFoundError) as info:
            make_client(sim).generate(TASK, expects="box")
        assert info.value.status_code == 404 and info.value.code == "model_not_found"


def test_too_large_body_is_bad_request_and_the_client_recovers(make_client: ClientFactory) -> None:
    with Simulator(max_body_bytes=2000) as sim:
        client = make_client(sim)
        big = box_task(marked_image([(0, (0, 0, 10, 10))], size=(400, 300), fmt="PNG"))
        with pytest.raises(errors.BadRequestError) as info:
            client.generate(big, expects="box")
        assert info.value.status_code == 413 and info.value.code == "request_too_large"
        sim.update(max_body_bytes=20_000_000)
        assert client.generate(big, expects="box")["boxes"]
        assert sim.stats.by_status == {413: 1, 200: 1}


def test_too_large_body_of_several_megabytes(make_client: ClientFactory) -> None:
    with Simulator(max_body_bytes=100_000) as sim:
        huge = box_task(marked_image([], size=(2400, 1800)))  # ~1 MB: the client is still sending
        with pytest.raises(errors.BadRequestError):
            make_client(sim).generate(huge, expects="box")


def test_rate_limit_after_n_requests(make_client: ClientFactory) -> None:
    with Simulator(rpm_limit=3) as sim:
        client = make_client(sim)
        for _ in range(3):
            client.generate(TASK, expects="box")
        with pytest.raises(errors.RateLimitError) as info:
            client.generate(TASK, expects="box")
        assert not isinstance(info.value, errors.QuotaExceededError)
        assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 60
        assert sim.stats.rate_limited == 1
        # another key has its own window
        make_client(sim, api_key="other").generate(TASK, expects="box")


def test_quota_exhausted(make_client: ClientFactory) -> None:
    with Simulator(quota_exhausted=True) as sim:
        with pytest.raises(errors.QuotaExceededError) as info:
            make_client(sim).generate(TASK, expects="box")
        assert info.value.retry_after is None and info.value.code == "insufficient_quota"
        sim.update(quota_exhausted=False)
        make_client(sim).generate(TASK, expects="box")


@pytest.mark.parametrize(
    ("fault", "exc", "status", "retry_after"),
    [
        ("503", errors.ServerError, 503, 7.0),
        ("500", errors.ServerError, 500, None),
        ("429", errors.RateLimitError, 429, 1.0),
        ("malformed", errors.ServerError, 200, None),
    ],
)
def test_http_faults(
    make_client: ClientFactory, fault: str, exc: type[Exception], status: int, retry_after: float | None
) -> None:
    with Simulator(script=[fault], retry_after_503_s=7) as sim:
        client = make_client(sim)
        with pytest.raises(exc) as info:
            client.generate(TASK, expects="box")
        err = info.value
        assert isinstance(err, errors.SDKError)
        assert (err.status_code, err.retry_after) == (status, retry_after)
        assert client.generate(TASK, expects="box")["boxes"]  # the script is used up: back to normal


def test_drop_is_transport_error(make_client: ClientFactory) -> None:
    with Simulator(script=["drop"]) as sim:
        client = make_client(sim)
        with pytest.raises(errors.TransportError):
            client.generate(TASK, expects="box")
        assert client.generate(TASK, expects="box")["boxes"]
        assert sim.stats.by_status == {NO_ANSWER: 1, 200: 1}


def test_hang_is_timeout_and_ends_when_the_client_gives_up(make_client: ClientFactory) -> None:
    with Simulator(script=["hang"], hang_s=60) as sim:
        start = time.monotonic()
        with pytest.raises(errors.TimeoutError):
            make_client(sim, timeout=0.3).generate(TASK, expects="box")
        assert time.monotonic() - start < 5
        assert sim.stats.wait_idle(timeout=5)  # the hang noticed the closed connection


def test_stop_ends_a_hang(make_client: ClientFactory) -> None:
    sim = Simulator(script=["hang"], hang_s=60).start()
    client = make_client(sim, timeout=30)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.generate(TASK, expects="box")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    assert sim.stats.wait_for_requests(1, timeout=5)
    start = time.monotonic()
    sim.stop()
    worker.join(timeout=10)
    assert time.monotonic() - start < 3
    assert len(outcome) == 1 and isinstance(outcome[0], errors.TransportError)


def test_broken_markup_becomes_sdk_errors(make_client: ClientFactory) -> None:
    with Simulator(script=["markup"]) as sim:
        result = make_client(sim).generate(TASK, expects="box")
        assert result["boxes"] == []
        assert [e["code"] for e in result["errors"]] == ["invalid_box_coords"]
        with pytest.raises(errors.ParseError):
            sim.update(script=["markup"])
            make_client(sim).generate(TASK, expects="box", strict=True)


def test_out_of_range_boxes_parse_unchecked(make_client: ClientFactory) -> None:
    with Simulator(script=["out_of_range"]) as sim:
        result = make_client(sim).generate(TASK, expects="box")
        box = result["boxes"][0]
        assert box.top_left.x > 1000 and box.top_left.y > 1000
        assert box.bottom_right.x < box.top_left.x  # reversed corners
        assert result["errors"] == []


def test_stream_faults(make_client: ClientFactory) -> None:
    with Simulator(script=["malformed", "503", "out_of_range"]) as sim:
        client = make_client(sim)
        broken = list(client.stream(TASK, expects="box"))[-1]
        assert broken["type"] == "error" and broken["code"] == "invalid_stream_chunk"
        unavailable = list(client.stream(TASK, expects="box"))[-1]
        assert unavailable["type"] == "error" and unavailable["status"] == 503
        assert unavailable["details"]["retry_after"] == 1.0
        wild = list(client.stream(TASK, expects="box"))[-1]
        assert wild["type"] == "final" and wild["result"]["boxes"][0].top_left.x > 1000


def test_every_image_fails_twice_then_succeeds(make_client: ClientFactory) -> None:
    config = SimulatorConfig(fail_each_image_times=2, fail_each_image_fault="503")
    with Simulator(config) as sim:
        client = make_client(sim)
        tasks = [box_task(marked_image([(0, (10, 10, 60, 60))], seed=seed)) for seed in range(3)]
        for task in tasks:
            for _ in range(2):
                with pytest.raises(errors.ServerError):
                    client.generate(task, expects="box")
            assert client.generate(task, expects="box")["boxes"]
            assert client.generate(task, expects="box")["boxes"]
        assert sim.stats.by_status == {503: 6, 200: 6}


def test_random_faults_follow_their_rates(make_client: ClientFactory) -> None:
    with Simulator(p_500=0.5, seed=3) as sim:
        client = make_client(sim)
        failures = 0
        for _ in range(60):
            try:
                client.generate(TASK, expects="box")
            except errors.ServerError:
                failures += 1
        assert 15 <= failures <= 45
        assert sim.stats.by_status[500] == failures


def test_unknown_path_and_bad_image_through_raw_http(sim: Simulator) -> None:
    with httpx.Client(timeout=5) as http:
        missing = http.get(sim.base_url + "/models")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
        body = {
            "model": MODEL,
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AAAA"}}],
                }
            ],
        }
        bad = http.post(sim.base_url + "/chat/completions", json=body)
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
        assert bad.headers["x-trace-id"]
        # the same connection still works
        ok = http.post(sim.base_url + "/chat/completions", json={**body, "messages": TASK_MESSAGES})
        assert ok.status_code == 200


TASK_MESSAGES = [
    {"role": "system", "content": "<hint>BOX</hint>Your goal is to segment out the following categories: a"},
    {
        "role": "user",
        "content": [
            {
                "type": "image_url",
                "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(IMAGE).decode()},
            }
        ],
    },
]


def test_undecodable_image_is_bad_request(sim: Simulator) -> None:
    truncated = base64.b64encode(IMAGE[:300]).decode()
    messages = [
        TASK_MESSAGES[0],
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{truncated}"}}],
        },
    ]
    answer = httpx.post(
        sim.base_url + "/chat/completions", json={"model": MODEL, "messages": messages}, timeout=5
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_image"
