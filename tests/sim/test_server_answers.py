"""Successful answers through the unmodified SDK: boxes where the markers are, streaming, usage, ids."""

from __future__ import annotations

import base64
import io
from typing import Any

import perceptron
import pytest
from PIL import Image

from isaac_gui.sim.protocol import EMPTY_ANSWER
from isaac_gui.sim.server import Simulator
from tests.sim.helpers import CLASSES, MODEL, ClientFactory, box_task, expected_grid, grid_box, marked_image

pytestmark = pytest.mark.timeout(30)

SIZE = (640, 480)
Markers = list[tuple[int, tuple[int, int, int, int]]]
MARKERS: Markers = [(0, (64, 48, 192, 144)), (1, (320, 240, 640, 480)), (0, (400, 20, 520, 100))]


def expected(markers: Markers, size: tuple[int, int]) -> list[tuple[str, tuple[int, ...]]]:
    rows = sorted(markers, key=lambda m: (m[0], m[1][1], m[1][0]))
    return [(CLASSES[i], expected_grid(box, size)) for i, box in rows]


def assert_boxes(result: dict[str, Any], markers: Markers, size: tuple[int, int]) -> None:
    got = [(b.mention, grid_box(b)) for b in result["boxes"]]
    want = expected(markers, size)
    assert [name for name, _ in got] == [name for name, _ in want], got
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(g, w, strict=True)) <= 10, (got, want)  # 1% of the image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_boxes_land_on_the_markers(client: perceptron.Client, fmt: str) -> None:
    result = client.generate(box_task(marked_image(MARKERS, SIZE, fmt)), expects="box")
    assert_boxes(result, MARKERS, SIZE)
    assert result["errors"] == []
    assert result["finish_reason"] == "stop"
    assert result["model"] == MODEL
    usage = result["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_lossless_boxes_are_exact(client: perceptron.Client) -> None:
    result = client.generate(box_task(marked_image(MARKERS, SIZE, "PNG")), expects="box")
    assert [(b.mention, grid_box(b)) for b in result["boxes"]] == expected(MARKERS, SIZE)


def test_large_jpeg(client: perceptron.Client) -> None:
    size = (4000, 3000)
    markers = [(0, (400, 300, 1000, 800)), (1, (3000, 2500, 4000, 3000))]
    result = client.generate(box_task(marked_image(markers, size, "JPEG")), expects="box")
    assert_boxes(result, markers, size)


def test_no_markers_gives_no_boxes(client: perceptron.Client) -> None:
    result = client.generate(box_task(marked_image([], SIZE)), expects="box")
    assert (result["boxes"], result["errors"], result["text"]) == ([], [], EMPTY_ANSWER)
    events = list(client.stream(box_task(marked_image([], SIZE)), expects="box"))
    assert events[-1]["type"] == "final"
    assert events[-1]["result"]["boxes"] == []


def test_stream(client: perceptron.Client) -> None:
    events = list(
        client.stream(box_task(marked_image(MARKERS, SIZE, "PNG")), expects="box", parse_points=True)
    )
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "final" and "error" not in kinds
    assert kinds.count("points.delta") == len(MARKERS)
    final = events[-1]["result"]
    assert_boxes(final, MARKERS, SIZE)
    assert final["errors"] == [] and final["finish_reason"] == "stop" and final["complete"]
    assert final["usage"]["total_tokens"] > 0  # the SDK asks perceptron streams for usage
    assert final["request_id"]


def test_stream_without_usage(client: perceptron.Client) -> None:
    events = list(client.stream(box_task(marked_image(MARKERS, SIZE)), expects="box", stream_options={}))
    assert events[-1]["type"] == "final"
    assert events[-1]["result"]["usage"] is None


def test_trace_ids_are_unique(client: perceptron.Client) -> None:
    task = box_task(marked_image(MARKERS, SIZE))
    ids = {client.generate(task, expects="box")["request_id"] for _ in range(5)}
    assert len(ids) == 5 and None not in ids


def test_self_hosted_layout_through_chat_completions(client: perceptron.Client) -> None:
    data = marked_image(MARKERS, SIZE, "JPEG")
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<hint>BOX</hint>"},
                    {
                        "type": "text",
                        "text": "Your goal is to segment out the following categories: scratch, dent",
                    },
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    content = completion.choices[0].message.content
    assert content.count("<point_box") == len(MARKERS)
    assert 'mention="scratch"' in content and 'mention="dent"' in content


def test_detect_helper_with_environment(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERCEPTRON_BASE_URL", sim.base_url)
    monkeypatch.setenv("PERCEPTRON_API_KEY", "k")
    monkeypatch.setenv("PERCEPTRON_MODEL", MODEL)
    result = perceptron.detect(perceptron.image(marked_image(MARKERS, SIZE)), classes=list(CLASSES))
    assert [b.mention for b in result.boxes] == ["scratch", "scratch", "dent"]
    general = perceptron.detect(perceptron.image(marked_image(MARKERS, SIZE)))
    assert [b.mention for b in general.boxes] == ["object"] * 3


def test_exif_orientation_is_ignored_unless_configured(sim: Simulator, make_client: ClientFactory) -> None:
    upright = Image.open(io.BytesIO(marked_image([(0, (0, 0, 160, 120))], SIZE, "PNG"))).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # EXIF 6 turns it back upright
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif.tobytes())
    client = make_client(sim)
    raw = client.generate(box_task(buf.getvalue()), expects="box")
    assert grid_box(raw["boxes"][0]) != expected_grid((0, 0, 160, 120), SIZE)  # the stored grid
    sim.update(apply_exif_orientation=True)
    honoured = client.generate(box_task(buf.getvalue()), expects="box")
    got = grid_box(honoured["boxes"][0])
    want = expected_grid((0, 0, 160, 120), SIZE)
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 3


def test_without_pixel_inspection_every_answer_is_empty(client: perceptron.Client, sim: Simulator) -> None:
    sim.update(inspect_pixels=False)
    result = client.generate(box_task(marked_image(MARKERS, SIZE, "JPEG")), expects="box")
    assert (result.get("boxes") or []) == []
