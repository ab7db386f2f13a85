"""The theme (Fusion, light and dark palettes, the stylesheet) and the tinted line icons."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QPushButton, QStyleFactory

from isaac_gui.qt.style import icons, theme

REQUIRED_ICONS = (
    "open-folder",
    "run",
    "pause",
    "resume",
    "cancel",
    "export",
    "settings",
    "zoom-fit",
    "zoom-1to1",
    "previous",
    "next",
    "retry",
    "filter",
    "cloud",
    "warning",
    "error",
    "check",
)


@pytest.fixture(autouse=True)
def keep_the_app_look(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    monkeypatch.setattr(theme, "_current", theme._current)
    monkeypatch.setattr(theme, "_requested", theme._requested)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    if style and qapp.style().name() != style:
        qapp.setStyle(QStyleFactory.create(style))


def ink(image: QImage, *, opaque: bool = True) -> list[QColor]:
    """The fully opaque pixels of an icon render (or every visibly drawn one)."""
    out = []
    for y in range(image.height()):
        for x in range(image.width()):
            colour = QColor.fromRgba(image.pixel(x, y))
            if colour.alpha() == 255 or (not opaque and colour.alpha() > 60):
                out.append(colour)
    return out


@pytest.mark.parametrize("name", ["light", "dark"])
def test_apply_theme_sets_fusion_the_palette_and_the_stylesheet(qapp: Any, name: str) -> None:
    theme.apply_theme(qapp, name)
    colours = theme.DARK if name == "dark" else theme.LIGHT
    assert colours.accent in qapp.styleSheet()
    qapp.setStyleSheet("")  # the style under the stylesheet
    assert qapp.style().name().lower() == "fusion"
    palette = qapp.palette()
    assert palette.color(QPalette.ColorRole.Window) == QColor(colours.window)
    assert palette.color(QPalette.ColorRole.Highlight) == QColor(colours.accent)
    assert palette.color(QPalette.ColorRole.Text) == QColor(colours.text)
    assert palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text) == QColor(
        colours.text_disabled
    )
    assert theme.is_dark() is (name == "dark")
    assert theme.colours() is colours
    assert theme.requested_theme() == name


def test_light_and_dark_text_reads_on_its_background() -> None:
    for colours in (theme.LIGHT, theme.DARK):
        text, window = QColor(colours.text), QColor(colours.window)
        assert abs(text.lightness() - window.lightness()) > 150


def test_system_follows_the_desktop_and_unknown_names_mean_system(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(theme, "_system_is_dark", lambda: True)
    theme.apply_theme(qapp, "system")
    assert theme.is_dark()
    monkeypatch.setattr(theme, "_system_is_dark", lambda: False)
    theme._on_system_scheme_changed()  # the desktop switched to light while the app runs
    assert not theme.is_dark()
    theme.apply_theme(qapp, "dark")
    theme._on_system_scheme_changed()  # an explicit choice is not overridden by the desktop
    assert theme.is_dark()
    theme.apply_theme(qapp, "purple")
    assert theme.requested_theme() == "system"


def test_primary_buttons_get_the_accent(qtbot: Any, qapp: Any) -> None:
    theme.apply_theme(qapp, "light")
    button = QPushButton("Run")
    qtbot.addWidget(button)
    button.setProperty("primary", True)
    theme.repolish(button)
    button.resize(120, 32)
    image = button.grab().toImage()
    centre = QColor(image.pixel(10, 16))
    assert centre == QColor(theme.LIGHT.accent)


@pytest.mark.parametrize("name", REQUIRED_ICONS)
def test_every_required_icon_draws(name: str) -> None:
    icon = icons.icon(name)
    assert not icon.isNull()
    for side in (16, 24, 48):
        image = icon.pixmap(side, side).toImage()
        assert image.width() == side
        assert len(ink(image, opaque=False)) > side // 2, f"{name} at {side} px is empty"


def test_icons_are_tinted_with_the_theme_text_colour(qapp: Any) -> None:
    for name in ("light", "dark"):
        theme.apply_theme(qapp, name)
        colours = theme.colours()
        pixels = ink(icons.icon("check").pixmap(48, 48).toImage())
        assert pixels and all(p == QColor(colours.text) for p in pixels)
        disabled = ink(icons.icon("check").pixmap(48, 48, QIcon.Mode.Disabled).toImage())
        assert disabled and all(p == QColor(colours.text_disabled) for p in disabled)


def test_status_icons_keep_their_meaning_colour(qapp: Any) -> None:
    theme.apply_theme(qapp, "light")
    errors = ink(icons.icon("error").pixmap(48, 48).toImage())
    assert errors and all(p == QColor(theme.LIGHT.danger) for p in errors)
    warnings = ink(icons.icon("warning").pixmap(48, 48).toImage())
    assert warnings and all(p == QColor(theme.LIGHT.warning) for p in warnings)


def test_an_icon_survives_being_copied_and_changed() -> None:
    # QIcon detaches (clones its engine) when a copy is changed; the clone must outlive the call.
    for _ in range(50):
        original = icons.icon("run")
        copy = QIcon(original)
        copy.addPixmap(QPixmap(4, 4))
        gc.collect()
        assert not copy.pixmap(24, 24).isNull()
        assert not original.pixmap(24, 24).isNull()


def test_aliases_and_unknown_names() -> None:
    assert icons.icon("s3").pixmap(16, 16).toImage() == icons.icon("cloud").pixmap(16, 16).toImage()
    with pytest.raises(KeyError, match="no icon named"):
        icons.icon("no-such-icon")
    assert set(REQUIRED_ICONS) <= set(icons.names())


def test_the_app_icon_has_every_size() -> None:
    app_icon = icons.app_icon()
    sizes = {s.width() for s in app_icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    image = app_icon.pixmap(64, 64).toImage()
    assert QColor.fromRgba(image.pixel(32, 4)).alpha() == 255  # a full-colour, opaque tile
    assert QColor.fromRgba(image.pixel(0, 0)).alpha() < 255  # with rounded corners


def test_widgets_repaint_their_icons_on_a_theme_switch(qtbot: Any, qapp: Any) -> None:
    theme.apply_theme(qapp, "light")
    button = QPushButton(icons.icon("run"), "")
    qtbot.addWidget(button)
    button.setIconSize(button.iconSize().expandedTo(button.iconSize()))
    light = button.icon().pixmap(32, 32).toImage()
    theme.apply_theme(qapp, "dark")
    dark = button.icon().pixmap(32, 32).toImage()
    assert light != dark  # the same QIcon, drawn in the new text colour
    assert QApplication.palette().color(QPalette.ColorRole.WindowText) == QColor(theme.DARK.text)
    assert Qt.GlobalColor.transparent is not None
