"""generate_samples: distinct files whose displayed markers are where the truth says, EXIF included."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from isaac_gui.sim.markers import find_marker_boxes
from isaac_gui.sim.samples import expected_grid_boxes, generate_samples
from isaac_gui.sim.server import Simulator
from tests.sim.helpers import ClientFactory, box_task, grid_box

pytestmark = pytest.mark.timeout(60)

CLASSES = ("scratch", "dent", "rust")
Rows = Sequence[tuple[str, tuple[int, ...]]]


def close(got: Rows, want: Rows, tol: int = 3) -> bool:
    return len(got) == len(want) and all(
        g[0] == w[0] and max(abs(a - b) for a, b in zip(g[1], w[1], strict=True)) <= tol
        for g, w in zip(got, want, strict=True)
    )


def test_truth_matches_the_displayed_images(tmp_path: Path) -> None:
    truths = generate_samples(
        tmp_path,
        21,
        CLASSES,
        seed=4,
        size=(800, 600),
        formats=("jpg", "png", "webp"),
        orientations=(1, 6, 3, 8, 2, 5, 7),
        subfolders=2,
    )
    assert len(truths) == 21
    assert sum(len(t.boxes) for t in truths) > 10
    assert {t.orientation for t in truths} == {1, 2, 3, 5, 6, 7, 8}
    for truth in truths:
        path = tmp_path / truth.path
        assert path.parent.name.startswith("batch_") and path.suffix[1:] in ("jpg", "png", "webp")
        with Image.open(path) as img:
            stored_size = img.size
            assert img.getexif().get(0x0112, 1) == truth.orientation
            upright = ImageOps.exif_transpose(img)
        assert upright.size == (truth.width, truth.height) == (800, 600)
        if truth.orientation in (5, 6, 7, 8):
            assert stored_size == (600, 800)
        assert close(find_marker_boxes(upright, CLASSES), expected_grid_boxes(truth)), truth


def test_files_are_distinct_and_deterministic(tmp_path: Path) -> None:
    first = generate_samples(tmp_path / "a", 40, CLASSES, seed=1, size=(320, 240), max_markers=0)
    again = generate_samples(tmp_path / "b", 40, CLASSES, seed=1, size=(320, 240), max_markers=0)
    assert first == again
    digests = [hashlib.sha256((tmp_path / "a" / t.path).read_bytes()).hexdigest() for t in first]
    assert len(set(digests)) == 40  # distinct even without markers
    assert digests == [hashlib.sha256((tmp_path / "b" / t.path).read_bytes()).hexdigest() for t in again]


def test_backgrounds_are_neutral(tmp_path: Path) -> None:
    (truth,) = generate_samples(tmp_path, 1, CLASSES, size=(400, 300), max_markers=0, formats=("png",))
    pixels = np.asarray(Image.open(tmp_path / truth.path).convert("RGB")).astype(int)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() == 0  # pure grey: no colour except markers


def test_threads_give_the_same_result(tmp_path: Path) -> None:
    serial = generate_samples(tmp_path / "s", 6, CLASSES, size=(320, 240))
    parallel = generate_samples(tmp_path / "p", 6, CLASSES, size=(320, 240), workers=3)
    assert serial == parallel


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_samples(tmp_path, 1, [])
    with pytest.raises(ValueError):
        generate_samples(tmp_path, 1, CLASSES, formats=("tiff",))
    with pytest.raises(ValueError):
        generate_samples(tmp_path, 1, CLASSES, orientations=(9,))


def test_simulator_answers_the_truth_for_upright_pixels(tmp_path: Path, make_client: ClientFactory) -> None:
    truths = generate_samples(tmp_path, 6, CLASSES, seed=2, size=(1200, 900), orientations=(1, 6))
    with Simulator() as sim:
        client = make_client(sim)
        for truth in truths:
            with Image.open(tmp_path / truth.path) as img:
                upright = ImageOps.exif_transpose(img).convert("RGB")
            buf = io.BytesIO()
            upright.save(buf, "JPEG", quality=90)  # what the app sends: upright pixels, no tag
            result = client.generate(box_task(buf.getvalue(), CLASSES), expects="box")
            got = [(b.mention, grid_box(b)) for b in result["boxes"]]
            assert close(got, expected_grid_boxes(truth)), (truth, got)
