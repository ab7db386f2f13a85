"""The Perceptron chat-completions wire format, as the simulator reads and writes it.

Reading: ``parse_request`` turns a request body into a ``DetectRequest`` (model, class list, the image's
bytes and media type, streaming flags) or raises ``ApiError`` with the status and error object the real
API would answer. Both message layouts are accepted: the SDK's (``<hint>BOX</hint>`` and the instruction
in a system message, the image in a user message) and the self-hosted one (hint and instruction in user
text parts).

Writing: the box markup (``<point_box mention="..."> (x1,y1) (x2,y2) </point_box>``, or broken or
out-of-range variants for fault injection), the ``chat.completion`` object, the server-sent events of a
stream (``chat.completion.chunk`` objects, a usage chunk on request, ``data: [DONE]``) and the
``{"error": {"message", "type", "param", "code"}}`` bodies.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALLOWED_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp")
EMPTY_ANSWER = "No objects found."  # not "": an empty stream has no text, and the SDK then sets no boxes
GENERAL_MENTION = "object"  # the mention of a box when the request names no categories

_CATEGORIES = re.compile(
    r"segment out the following categories:\s*(?P<cats>.*?)"
    r"\s*(?:\.\s*Make sure to track the objects\.?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_HINT = re.compile(r"<hint>.*?</hint>", re.IGNORECASE | re.DOTALL)
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?P<params>(?:;[^,;]*)*),(?P<data>.*)$", re.DOTALL)

Box = tuple[int, int, int, int]
Detection = tuple[str, Box]


class ApiError(Exception):
    """An error answer: HTTP ``status``, the error object's fields, extra headers (``Retry-After``) and
    whether the connection is closed after it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.close = close
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        """The JSON error body."""
        return error_body(self.message, type=self.type, code=self.code, param=self.param)


def error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> bytes:
    """``{"error": {"message", "type", "param", "code"}}`` as bytes."""
    error = {"message": message, "type": type, "param": param, "code": code}
    return json.dumps({"error": error}).encode()


def bad_request(message: str, code: str, param: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, message, type="invalid_request_error", code=code, param=param)


@dataclass(frozen=True)
class DetectRequest:
    """What the simulator needs from one request."""

    model: str
    classes: tuple[str, ...] | None  # None: the general instruction ("the objects in the scene")
    image: bytes
    media_type: str
    stream: bool = False
    include_usage: bool = False
    text_chars: int = 0  # length of all text parts, for the prompt token count


def _texts_and_images(messages: Any) -> tuple[list[str], list[str]]:
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty list", "invalid_messages", "messages")
    texts: list[str] = []
    urls: list[str] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad_request(
                f"messages[{index}] must be an object with a role", "invalid_messages", "messages"
            )
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        if not isinstance(content, list):
            raise bad_request(f"messages[{index}].content must be a string or a list", "invalid_messages")
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                if not isinstance(url, str):
                    raise bad_request("image_url.url must be a string", "invalid_image_url", "messages")
                urls.append(url)
            else:
                raise bad_request(
                    f"unsupported content part type {kind!r}", "invalid_content_part", "messages"
                )
    return texts, urls


def parse_classes(texts: Sequence[str]) -> tuple[str, ...] | None:
    """The categories named by the detect instruction in ``texts``; None when none names categories."""
    for text in texts:
        match = _CATEGORIES.search(_HINT.sub("", text))
        if match:
            names = tuple(name.strip() for name in match.group("cats").split(","))
            return tuple(name for name in names if name)
    return None


def _magic_matches(data: bytes, media_type: str) -> bool:
    if media_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def decode_data_url(url: str) -> tuple[str, bytes]:
    """``(media type, bytes)`` of a base64 image data URL; ApiError 400 unless PNG, JPEG or WebP."""
    match = _DATA_URL.match(url)
    if match is None:
        if url.startswith(("http://", "https://")):
            raise bad_request("the simulator accepts only data URLs, not remote images", "invalid_image_url")
        raise bad_request("image_url.url is not a data URL", "invalid_image_url")
    media_type = match.group("mime").lower()
    if ";base64" not in match.group("params").lower():
        raise bad_request("image data URLs must be base64-encoded", "invalid_image_url")
    if media_type not in ALLOWED_MEDIA_TYPES:
        raise bad_request(
            f"unsupported image type {media_type}; use one of {', '.join(ALLOWED_MEDIA_TYPES)}",
            "invalid_image_format",
        )
    try:
        data = base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad_request(f"invalid base64 image data: {exc}", "invalid_image_url") from exc
    if not _magic_matches(data, media_type):
        raise bad_request(f"the image bytes are not {media_type}", "invalid_image_format")
    return media_type, data


def parse_request(body: bytes) -> DetectRequest:
    """Parse and validate a chat-completions request body."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}", "invalid_json") from exc
    if not isinstance(payload, dict):
        raise bad_request("the request body must be a JSON object", "invalid_json")
    model = payload.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required", "missing_model", "model")
    texts, urls = _texts_and_images(payload.get("messages"))
    if not urls:
        raise bad_request("the request has no image", "missing_image", "messages")
    media_type, image = decode_data_url(urls[-1])  # earlier images are few-shot examples
    stream_options = payload.get("stream_options")
    include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))
    return DetectRequest(
        model=model,
        classes=parse_classes(texts),
        image=image,
        media_type=media_type,
        stream=payload.get("stream") is True,
        include_usage=include_usage,
        text_chars=sum(len(t) for t in texts),
    )


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def _mention(name: str) -> str:
    return name.replace('"', "'")


def box_markup(detections: Sequence[Detection]) -> str:
    """One ``<point_box>`` element per detection, one per line; ``EMPTY_ANSWER`` when there are none."""
    if not detections:
        return EMPTY_ANSWER
    return "\n".join(
        f'<point_box mention="{_mention(name)}"> ({x1},{y1}) ({x2},{y2}) </point_box>'
        for name, (x1, y1, x2, y2) in detections
    )


def broken_markup(detections: Sequence[Detection], fallback_mention: str) -> str:
    """Box elements whose second corner is cut off (the SDK reports ``invalid_box_coords`` for each)."""
    items = detections or [(fallback_mention, (100, 100, 200, 200))]
    return "\n".join(
        f'<point_box mention="{_mention(name)}"> ({x1},{y1}) ({x2} </point_box>'
        for name, (x1, y1, x2, _) in items
    )


def out_of_range_markup(detections: Sequence[Detection], fallback_mention: str) -> str:
    """Boxes with reversed corners and coordinates above 1000 (the SDK parses them without complaint)."""
    items = detections or [(fallback_mention, (100, 50, 200, 100))]
    return "\n".join(
        f'<point_box mention="{_mention(name)}"> ({1000 + x2},{1000 + y2}) ({x1},{y1}) </point_box>'
        for name, (x1, y1, x2, y2) in items
    )


def usage(width: int, height: int, text_chars: int, content: str) -> dict[str, int]:
    """Plausible token counts: text at ~4 characters a token, one image token per 32x32 pixel patch."""
    prompt = 8 + math.ceil(text_chars / 4) + math.ceil(width / 32) * math.ceil(height / 32)
    completion = max(1, math.ceil(len(content) / 3))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(model: str, content: str, token_usage: dict[str, int], completion_id: str) -> bytes:
    """A ``chat.completion`` object as bytes."""
    answer = {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": token_usage,
    }
    return json.dumps(answer).encode()


def _event(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


DONE_EVENT = b"data: [DONE]\n\n"


def stream_events(
    model: str, content: str, token_usage: dict[str, int] | None, completion_id: str
) -> list[bytes]:
    """The SSE events of a streamed answer: a role chunk, one content chunk per line of ``content``, a
    ``finish_reason`` chunk, a usage chunk when ``token_usage`` is given, then ``[DONE]``."""
    created = int(time.time())

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        obj = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
        }
        obj.update(extra)
        return _event(obj)

    events = [chunk({"role": "assistant", "content": ""})]
    events.extend(chunk({"content": piece}) for piece in content.splitlines(keepends=True))
    events.append(chunk({}, "stop"))
    if token_usage is not None:
        events.append(chunk(None, usage=token_usage))
    events.append(DONE_EVENT)
    return events


MALFORMED_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
MALFORMED_EVENT = b'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "<point_\n\n'
