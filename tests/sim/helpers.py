"""Helpers of the simulator tests: images with markers, the SDK task the app sends, box conversions."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import perceptron
from PIL import Image

from isaac_gui.sim.markers import paint_markers
from isaac_gui.sim.server import Simulator

MODEL = "isaac-0.1"
KEY = "sim-test-key"
CLASSES = ("scratch", "dent")
Box = tuple[int, int, int, int]


def grey_image(size: tuple[int, int] = (640, 480), *, noise: float = 6.0, seed: int = 0) -> Image.Image:
    """A neutral grey gradient with mild noise."""
    width, height = size
    rng = np.random.default_rng(seed)
    base = 110.0 + 40.0 * np.linspace(0, 1, width)[None, :] + rng.normal(0.0, noise, (height, width))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).convert("RGB")


def encode(img: Image.Image, fmt: str = "JPEG", **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def marked_image(
    markers: Sequence[tuple[int, Box]], size: tuple[int, int] = (640, 480), fmt: str = "JPEG", seed: int = 0
) -> bytes:
    img = grey_image(size, seed=seed)
    paint_markers(img, markers)
    return encode(img, fmt)


@perceptron.perceive(expects="box")  # type: ignore[untyped-decorator]
def _detect_task(image_bytes: bytes, instruction: str) -> Any:
    return perceptron.system(instruction) + perceptron.image(image_bytes)


def box_task(image_bytes: bytes, classes: Sequence[str] = CLASSES) -> dict[str, Any]:
    """The compiled task the app sends: the detect instruction as a system message, then the image."""
    instruction = "Your goal is to segment out the following categories: " + ", ".join(classes)
    task: dict[str, Any] = perceptron.inspect_task(_detect_task, image_bytes, instruction)[0]
    return task


def grid_box(box: Any) -> Box:
    """An SDK ``BoundingBox`` as ``(x1, y1, x2, y2)``."""
    return (box.top_left.x, box.top_left.y, box.bottom_right.x, box.bottom_right.y)


def expected_grid(box: Box, size: tuple[int, int]) -> Box:
    width, height = size
    x1, y1, x2, y2 = box
    return (
        round(x1 / width * 1000),
        round(y1 / height * 1000),
        round(x2 / width * 1000),
        round(y2 / height * 1000),
    )


class ClientFactory(Protocol):
    """The ``make_client`` fixture: an SDK client pointed at a simulator."""

    def __call__(
        self, simulator: Simulator, *, api_key: str = ..., timeout: float = ...
    ) -> perceptron.Client: ...
