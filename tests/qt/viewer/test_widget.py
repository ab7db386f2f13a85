"""The photo viewer: upright full-resolution pixels, boxes where the record says, zoom, keys, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QNativeGestureEvent, QPointingDevice, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsItem, QVBoxLayout, QWidget

from isaac_gui.core.palette import class_colour
from isaac_gui.qt.viewer.canvas import WHEEL_STEP
from isaac_gui.qt.viewer.loader import active_jobs
from isaac_gui.qt.viewer.widget import PhotoViewer

CLASSES = ["crack", "rust", "scratch"]
UPRIGHT = (2400, 1600)  # large enough for a preview before the full decode
RED_BLOCK = (0, 0, 299, 199)  # upright pixels, inclusive


pytestmark = pytest.mark.usefixtures("in_the_app_theme")


def make_photo(folder: Path, name: str = "IMG_0001.jpg") -> Path:
    """A JPEG stored rotated, with EXIF orientation 6: only an upright decode puts the red block top-left."""
    upright = Image.new("RGB", UPRIGHT, (150, 150, 150))
    draw = ImageDraw.Draw(upright)
    draw.rectangle(RED_BLOCK, fill=(220, 20, 20))
    draw.rectangle((1000, 600, 1400, 1000), fill=(60, 60, 60))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    assert stored.size == (UPRIGHT[1], UPRIGHT[0])
    exif = Image.Exif()
    exif[0x0112] = 6
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    stored.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def ok_record(rel: str = "line-1/IMG_0001.jpg") -> dict[str, Any]:
    return {
        "image": rel,
        "status": "ok",
        "width": UPRIGHT[0],
        "height": UPRIGHT[1],
        "detections": [
            {"mention": "rust", "top_left": {"x": 0, "y": 0}, "bottom_right": {"x": 299, "y": 199}},
            {"mention": "crack", "top_left": {"x": 1000, "y": 600}, "bottom_right": {"x": 1400, "y": 1000}},
            {"mention": "Crack", "top_left": {"x": 1800, "y": 1200}, "bottom_right": {"x": 1900, "y": 1250}},
        ],
        "latency_ms": 812.4,
        "request_id": "req_42",
    }


def error_record(rel: str = "line-1/IMG_0001.jpg") -> dict[str, Any]:
    return {
        "image": rel,
        "status": "error",
        "width": UPRIGHT[0],
        "height": UPRIGHT[1],
        "detections": [],
        "error": {
            "kind": "gave_up",
            "message": "got no usable answer after 5 tries; last: 503 Service Unavailable",
        },
    }


def shoot(widget: Any, name: str) -> None:
    """Save a picture of `widget` when ISAAC_GUI_SHOTS names a folder (to look at it)."""
    folder = os.environ.get("ISAAC_GUI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def viewer(qtbot: Any) -> PhotoViewer:
    QCursor.setPos(5000, 5000)  # no hover highlight in pictures
    view = PhotoViewer()
    qtbot.addWidget(view)
    view.resize(1000, 720)
    view.show()
    qtbot.waitExposed(view)
    return view


def show_and_wait(qtbot: Any, viewer: PhotoViewer, path: Path, record: dict[str, Any] | None) -> None:
    with qtbot.waitSignal(viewer.loaded, timeout=15_000):
        viewer.show_photo(path, record, CLASSES)


def test_photo_is_decoded_upright_off_the_gui_thread_preview_first(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    path = make_photo(tmp_path)
    loader = viewer._loader
    with qtbot.waitSignals([loader.previewReady, viewer.loaded], timeout=15_000):
        viewer.show_photo(path, ok_record(), CLASSES)
        assert viewer.is_loading()  # show_photo returned before any decoding finished
    item = viewer.canvas.photo_item()
    assert item is not None
    full = item.levels()[0]
    assert (full.width(), full.height()) == UPRIGHT
    assert item.boundingRect() == QRectF(0, 0, *UPRIGHT)
    red = QColor(full.pixel(40, 40))
    assert red.red() > 180 and red.green() < 80, "the photo is not upright"
    grey = QColor(full.pixel(UPRIGHT[0] - 40, UPRIGHT[1] - 40))
    assert abs(grey.red() - 150) < 20 and abs(grey.blue() - 150) < 20
    assert len(item.levels()) > 1  # a mipmap for zoomed-out painting
    assert not viewer.is_loading()
    assert viewer.canvas.message() is None


def test_boxes_sit_where_the_record_says_with_labels_readable_at_any_zoom(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    record = ok_record()
    show_and_wait(qtbot, viewer, make_photo(tmp_path), record)
    items = viewer.box_items()
    assert len(items) == 3
    for item, detection in zip(items, record["detections"], strict=True):
        x1, y1 = detection["top_left"]["x"], detection["top_left"]["y"]
        x2, y2 = detection["bottom_right"]["x"], detection["bottom_right"]["y"]
        # scene coordinates are pixels of the upright photo; corners are inclusive
        assert item.mapRectToScene(item.rect()) == QRectF(x1, y1, x2 - x1 + 1, y2 - y1 + 1)
        assert item.label.text == detection["mention"]
        assert item.label.flags() & QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
        assert item.colour == QColor(*class_colour(CLASSES, detection["mention"]))
    canvas = viewer.canvas
    for zoom in (0.1, 1.0, 8.0):
        canvas.zoom_to(zoom)
        label = items[1].label
        device = label.deviceTransform(canvas.viewportTransform())
        assert device.m11() == pytest.approx(1.0) and device.m22() == pytest.approx(1.0)
    # A box touching the top edge gets its label inside, the others above.
    canvas.fit()
    assert items[0].label.is_inside()
    assert not items[1].label.is_inside()


def test_boxes_are_drawn_in_the_class_colour_on_screen(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    viewer.canvas.zoom_to(0.5)
    viewer.canvas.centerOn(1200, 800)
    QApplication.processEvents()
    shot = viewer.canvas.viewport().grab().toImage()
    edge = viewer.canvas.mapFromScene(QPointF(1200, 600))  # the crack box's top edge
    colours = [QColor(shot.pixel(edge.x(), edge.y() + dy)) for dy in (-1, 0, 1)]
    want = QColor(*class_colour(CLASSES, "crack"))
    assert any(
        abs(c.red() - want.red()) < 40
        and abs(c.green() - want.green()) < 40
        and abs(c.blue() - want.blue()) < 40
        for c in colours
    ), [c.name() for c in colours]
    shoot(viewer, "viewer")


def test_class_toggles_hide_and_show_that_class_and_stay_while_flicking(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    path = make_photo(tmp_path)
    show_and_wait(qtbot, viewer, path, ok_record())
    chip = viewer.chip("crack")
    assert chip is not None and chip.count == 2  # "crack" and "Crack" are one class, as in the palette
    assert viewer.chip("rust").count == 1  # type: ignore[union-attr]
    assert viewer.chip("scratch").count == 0  # type: ignore[union-attr]
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    cracks = [i for i in viewer.box_items() if i.class_key == "crack"]
    assert cracks and not any(i.isVisible() for i in cracks)
    assert all(i.isVisible() for i in viewer.box_items() if i.class_key == "rust")
    # the next photo keeps the class hidden
    other = make_photo(tmp_path, "IMG_0002.jpg")
    show_and_wait(qtbot, viewer, other, ok_record("line-1/IMG_0002.jpg"))
    assert not viewer.chip("crack").isChecked()  # type: ignore[union-attr]
    assert not any(i.isVisible() for i in viewer.box_items() if i.class_key == "crack")
    qtbot.mouseClick(viewer.chip("crack"), Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    assert all(i.isVisible() for i in viewer.box_items())


def test_fit_and_one_to_one_by_button_and_key(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    canvas = viewer.canvas
    assert canvas.is_fit()
    fit = canvas.zoom()
    assert fit == pytest.approx(canvas.fit_scale()) and fit < 1
    qtbot.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.zoom() == pytest.approx(1.0)
    assert viewer.actual_button.isChecked() and not viewer.fit_button.isChecked()
    assert viewer.zoom_label.text() == "100%"
    qtbot.keyClick(canvas, Qt.Key.Key_0)  # F is Fail since review; 0 fits
    assert canvas.zoom() == pytest.approx(fit)
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    assert canvas.zoom() == pytest.approx(1.0)
    qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)
    assert canvas.zoom() == pytest.approx(fit)
    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == pytest.approx(1.0)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == pytest.approx(fit)
    # Fit follows the window size.
    viewer.resize(700, 500)
    qtbot.waitUntil(lambda: canvas.zoom() < fit)
    assert canvas.zoom() == pytest.approx(canvas.fit_scale())


def test_wheel_zooms_around_the_cursor(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    canvas = viewer.canvas
    canvas.zoom_to(0.5)
    at = QPointF(300, 200)
    before_scene = canvas.mapToScene(at.toPoint())
    before = canvas.zoom()
    event = QWheelEvent(
        at,
        QPointF(canvas.viewport().mapToGlobal(at.toPoint())),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.zoom() == pytest.approx(before * WHEEL_STEP**2)
    after_scene = canvas.mapToScene(at.toPoint())
    assert abs(after_scene.x() - before_scene.x()) < 3 and abs(after_scene.y() - before_scene.y()) < 3
    assert not canvas.is_fit()


def test_pinch_zooms(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    canvas = viewer.canvas
    before = canvas.zoom()
    at = QPointF(canvas.viewport().rect().center())
    gesture = QNativeGestureEvent(
        Qt.NativeGestureType.ZoomNativeGesture,
        QPointingDevice.primaryPointingDevice(),
        2,
        at,
        at,
        QPointF(canvas.viewport().mapToGlobal(at.toPoint())),
        0.5,
        QPointF(0, 0),
    )
    QApplication.sendEvent(canvas.viewport(), gesture)
    assert canvas.zoom() == pytest.approx(before * 1.5)


def test_arrow_keys_ask_for_the_previous_and_next_photo(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    with qtbot.waitSignal(viewer.nextRequested, timeout=1000):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Right)
    with qtbot.waitSignal(viewer.previousRequested, timeout=1000):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Left)
    with qtbot.waitSignal(viewer.nextRequested, timeout=1000):
        qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)


def test_error_record_says_what_went_wrong_and_offers_retry(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), error_record())
    assert viewer.banner.isVisible()
    assert viewer.banner.title.text() == "Isaac gave no usable answer"
    assert viewer.banner.message.text() == (
        "IMG_0001.jpg got no usable answer after 5 tries; last: 503 Service Unavailable."
    )
    assert viewer.box_items() == []
    assert not viewer.chip_row.isVisible()
    shoot(viewer, "viewer-error")
    with qtbot.waitSignal(viewer.retryRequested, timeout=1000) as retry:
        qtbot.mouseClick(viewer.banner.retry, Qt.MouseButton.LeftButton)
    assert retry.args == ["line-1/IMG_0001.jpg"]
    assert not viewer.banner.retry.isEnabled()  # one request per click
    # The retried photo's new record replaces the banner with boxes, keeping the pixels.
    viewer.show_photo(make_photo(tmp_path), ok_record(), CLASSES)
    assert not viewer.banner.isVisible()
    assert len(viewer.box_items()) == 3


def test_a_photo_that_cannot_be_decoded_is_explained(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo at all")
    with qtbot.waitSignal(viewer._loader.failed, timeout=10_000):
        viewer.show_photo(broken, None, CLASSES)
    message = viewer.canvas.message()
    assert message is not None and "cannot be shown" in message and "broken.jpg" in message


def test_a_photo_without_an_answer_yet(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), None)
    assert viewer.box_items() == []
    assert "waiting" in viewer.info.text()
    assert "2,400 × 1,600 px" in viewer.info.text()


def test_info_line_names_the_photo_size_defects_latency_and_request(
    qtbot: Any, viewer: PhotoViewer, tmp_path: Path
) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    assert viewer.title.text() == "IMG_0001.jpg"
    info = viewer.info.text()
    for part in ("2,400 × 1,600 px", "3 defects", "812 ms", "request req_42"):
        assert part in info


def test_escape_closes_the_viewer_window(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    assert viewer.isWindow()
    with qtbot.waitSignal(viewer.closed, timeout=1000):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


def test_escape_in_an_embedded_viewer_asks_to_close(qtbot: Any, tmp_path: Path) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    viewer = PhotoViewer(host)
    QVBoxLayout(host).addWidget(viewer)
    host.resize(800, 600)
    host.show()
    show_and_wait(qtbot, viewer, make_photo(tmp_path), ok_record())
    with qtbot.waitSignal(viewer.closed, timeout=1000):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Escape)
    assert host.isVisible()


def test_flicking_through_photos_shows_the_last_one(qtbot: Any, viewer: PhotoViewer, tmp_path: Path) -> None:
    paths = [make_photo(tmp_path, f"IMG_{i}.jpg") for i in range(4)]
    for path in paths[:-1]:
        viewer.show_photo(path, ok_record(), CLASSES)
    show_and_wait(qtbot, viewer, paths[-1], ok_record())
    assert viewer.path() == paths[-1]
    assert viewer.title.text() == paths[-1].name
    qtbot.waitUntil(lambda: active_jobs() == 0, timeout=15_000)
