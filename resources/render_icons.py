"""Render the app icon (app-icon.svg) to the PNGs, .ico and .icns the installers need.

    QT_QPA_PLATFORM=offscreen ./dev run python resources/render_icons.py

Writes resources/app-icon-<size>.png for 16-512 px, resources/app-icon.ico (Windows) and
resources/app-icon.icns (macOS), and copies the SVG to isaac_gui/qt/icons/app.svg (the runtime
window icon). Small sizes are rendered from the vector source, not downscaled from 512 px, so
their strokes stay sharp.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "app-icon.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, side: int) -> Image.Image:
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(QByteArray(SOURCE.read_bytes()))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    images = {side: render(renderer, side) for side in SIZES}
    for side, image in images.items():
        image.save(HERE / f"app-icon-{side}.png", optimize=True)
    ico_sizes = [s for s in SIZES if s <= 256]
    images[256].save(
        HERE / "app-icon.ico",
        sizes=[(s, s) for s in ico_sizes],
        append_images=[images[s] for s in ico_sizes if s != 256],
    )
    images[512].save(HERE / "app-icon.icns")
    shutil.copyfile(SOURCE, HERE.parent / "isaac_gui" / "qt" / "icons" / "app.svg")
    print(f"wrote {len(SIZES)} PNGs, app-icon.ico and app-icon.icns to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
