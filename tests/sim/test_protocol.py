"""The wire format helpers: request parsing (both message layouts), data URLs, answer building."""

from __future__ import annotations

import base64
import json

import pytest
from perceptron.client import collect_annotations

from isaac_gui.sim import protocol
from isaac_gui.sim.protocol import ApiError
from tests.sim.helpers import encode, grey_image

pytestmark = pytest.mark.timeout(30)


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def request_body(messages: list[dict[str, object]], **extra: object) -> bytes:
    return json.dumps({"model": "isaac-0.1", "messages": messages, **extra}).encode()


PNG = encode(grey_image((32, 24)), "PNG")


def test_sdk_layout() -> None:
    body = request_body(
        [
            {
                "role": "system",
                "content": "<hint>BOX</hint>Your goal is to segment out the following categories: a, b c",
            },
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}}],
            },
        ]
    )
    req = protocol.parse_request(body)
    assert req.classes == ("a", "b c")
    assert (req.media_type, req.image, req.stream) == ("image/png", PNG, False)


def test_self_hosted_layout_and_stream_flags() -> None:
    body = request_body(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<hint>BOX</hint>"},
                    {"type": "text", "text": "Your goal is to segment out the following categories: rust"},
                    {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}},
                ],
            }
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    req = protocol.parse_request(body)
    assert req.classes == ("rust",)
    assert req.stream and req.include_usage


def test_general_instruction_has_no_classes() -> None:
    assert protocol.parse_classes(["Your goal is to segment out the objects in the scene"]) is None
    video = "Your goal is to segment out the following categories: a, b. Make sure to track the objects."
    assert protocol.parse_classes([video]) == ("a", "b")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        (data_url(encode(grey_image((8, 8)), "GIF"), "image/gif"), "invalid_image_format"),
        (data_url(PNG, "image/jpeg"), "invalid_image_format"),  # bytes are not what the type says
        ("data:image/png;base64,@@@", "invalid_image_url"),
        ("https://example.com/a.png", "invalid_image_url"),
        ("data:image/png,rawbytes", "invalid_image_url"),
    ],
)
def test_bad_images_are_400(url: str, code: str) -> None:
    body = request_body([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])
    with pytest.raises(ApiError) as info:
        protocol.parse_request(body)
    assert (info.value.status, info.value.type, info.value.code) == (400, "invalid_request_error", code)


@pytest.mark.parametrize("body", [b"{nope", b"[]", b'{"model": "m"}', b'{"model": "m", "messages": []}'])
def test_malformed_requests_are_400(body: bytes) -> None:
    with pytest.raises(ApiError) as info:
        protocol.parse_request(body)
    assert info.value.status == 400
    error = json.loads(info.value.body())["error"]
    assert set(error) == {"message", "type", "param", "code"}


def test_markup_variants_as_the_sdk_parses_them() -> None:
    found = [("scratch", (186, 164, 526, 283)), ("dent", (0, 0, 1000, 1000))]
    ok = collect_annotations(protocol.box_markup(found), expects="box")
    assert [(b.mention, b.top_left.x, b.bottom_right.y) for b in ok.boxes] == [
        ("scratch", 186, 283),
        ("dent", 0, 1000),
    ]
    assert ok.errors == []
    empty = collect_annotations(protocol.box_markup([]), expects="box")
    assert (empty.boxes, empty.errors) == ([], [])
    broken = collect_annotations(protocol.broken_markup(found, "x"), expects="box")
    assert broken.boxes == [] and [e["code"] for e in broken.errors] == ["invalid_box_coords"] * 2
    wild = collect_annotations(protocol.out_of_range_markup(found, "x"), expects="box")
    assert [(b.top_left.x, b.top_left.y, b.bottom_right.x) for b in wild.boxes] == [
        (1526, 1283, 186),
        (2000, 2000, 0),
    ]


def test_stream_events_shape() -> None:
    events = protocol.stream_events("isaac-0.1", "line1\nline2", {"total_tokens": 3}, "chatcmpl-x")
    assert events[-1] == b"data: [DONE]\n\n"
    chunks = [json.loads(e[len(b"data: ") :]) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == "chatcmpl-x" for c in chunks)
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == "line1\nline2"
    )
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {"total_tokens": 3}
