"""Exporter test helpers: photos made with Pillow in tmp_path, records shaped like results.jsonl."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

GREY = (128, 128, 128)
Record = dict[str, object]


def detection(mention: str, x1: int, y1: int, x2: int, y2: int) -> dict[str, object]:
    return {"mention": mention, "top_left": {"x": x1, "y": y1}, "bottom_right": {"x": x2, "y": y2}}


def ok_record(image: str, width: int, height: int, *detections: dict[str, object]) -> Record:
    return {
        "image": image,
        "sha256": "0" * 64,
        "width": width,
        "height": height,
        "status": "ok",
        "model": "isaac-0.1",
        "classes": ["scratch", "dent"],
        "text": "<answer>",
        "detections": list(detections),
        "latency_ms": 412.3,
        "attempts": 1,
        "request_id": f"req-{image}",
        "usage": {"input_tokens": 10},
    }


def error_record(image: str, kind: str = "decode_error", message: str = "cannot be decoded") -> Record:
    return {
        "image": image,
        "sha256": None,
        "width": None,
        "height": None,
        "status": "error",
        "model": "isaac-0.1",
        "classes": ["scratch", "dent"],
        "error": {"kind": kind, "message": message},
        "detections": [],
        "latency_ms": None,
        "attempts": 3,
        "request_id": None,
    }


def write_photo(
    path: Path,
    width: int,
    height: int,
    colour: tuple[int, int, int] = GREY,
    *,
    orientation: int | None = None,
    fmt: str = "JPEG",
) -> Path:
    """A `width` x `height` photo as displayed; with `orientation` the pixels are stored transposed
    so that applying the EXIF orientation gives the displayed photo back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (width, height), colour)
    save_photo(img, path, orientation=orientation, fmt=fmt)
    return path


def save_photo(img: Image.Image, path: Path, *, orientation: int | None = None, fmt: str = "JPEG") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if orientation is None:
        img.save(path, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        return
    stored = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270, 3: Image.Transpose.ROTATE_180}
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.transpose(stored[orientation]).save(path, "JPEG", quality=95, exif=exif.tobytes())


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    root.mkdir()
    return root


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "export"


@pytest.fixture
def sample(source: Path) -> Callable[[], list[Record]]:
    """A small run: photos with boxes, one without, one failed, in a nested tree."""

    def make() -> list[Record]:
        write_photo(source / "a.jpg", 320, 240)
        write_photo(source / "sub" / "b.jpg", 200, 100)
        write_photo(source / "sub" / "empty.jpg", 64, 48)
        return [
            ok_record(
                "a.jpg",
                320,
                240,
                detection("scratch", 10, 20, 109, 59),
                detection("Dent", 200, 100, 319, 239),
            ),
            ok_record("sub/b.jpg", 200, 100, detection("rust", 0, 0, 49, 49)),
            ok_record("sub/empty.jpg", 64, 48),
            error_record("sub/broken.jpg"),
        ]

    return make


def reviewed(record: Record, *actions: tuple[str, str | None, object, str | None]) -> Record:
    """`record` as results.jsonl holds it once reviewed: `corrected_record` over trail entries made of
    (action, box, new value, reason), by Ana (OS user ana), under the default rules."""
    from isaac_gui.core.review.audit import Entry  # noqa: PLC0415
    from isaac_gui.core.review.corrections import corrected_record  # noqa: PLC0415
    from isaac_gui.core.review.rules import DEFAULT_RULES  # noqa: PLC0415

    entries = [
        Entry(
            seq,
            REVIEWED_AT,
            "ana",
            "Ana",
            str(record["image"]),
            "key",
            action,
            box,
            None,
            None,
            new,
            reason,
            "",
            "",
        )
        for seq, (action, box, new, reason) in enumerate(actions, 1)
    ]
    return corrected_record(record, entries, DEFAULT_RULES)


REVIEWED_AT = "2025-03-04T05:06:07.089Z"
