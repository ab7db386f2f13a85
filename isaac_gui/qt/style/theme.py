"""The look of the app: Fusion, a calm light or dark palette, one accent colour, a small stylesheet.

`apply_theme(app, "system" | "light" | "dark")` sets everything; "system" follows the desktop's
colour scheme (Qt >= 6.5 reports it) and keeps following it while the app runs. Widgets that
paint themselves (the viewer's chips, the latency plot, the icons) read `colours()` or the palette
at paint time, so a theme switch needs no restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTemporaryDir
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")


@dataclass(frozen=True, slots=True)
class Colours:
    """The colours of one theme, by what they are for."""

    dark: bool
    window: str
    surface: str  # panels, cards and inputs
    surface_alt: str  # alternate rows, hover
    sunken: str  # behind photos
    border: str
    border_strong: str
    text: str
    text_muted: str
    text_disabled: str
    accent: str
    accent_hover: str
    accent_text: str
    accent_soft: str  # selected cards, focus halos
    danger: str
    danger_soft: str
    warning: str
    success: str
    tooltip: str
    tooltip_text: str


LIGHT = Colours(
    dark=False,
    window="#f4f5f7",
    surface="#ffffff",
    surface_alt="#eef0f3",
    sunken="#e4e6ea",
    border="#d3d7de",
    border_strong="#aab1bd",
    text="#1d2127",
    text_muted="#5d6572",
    text_disabled="#9aa1ab",
    accent="#2f6fde",
    accent_hover="#255fc4",
    accent_text="#ffffff",
    accent_soft="#e3ecfc",
    danger="#c8352b",
    danger_soft="#fbe9e7",
    warning="#b86e00",
    success="#2e8540",
    tooltip="#2a2e35",
    tooltip_text="#f4f5f7",
)

DARK = Colours(
    dark=True,
    window="#1c1e22",
    surface="#25282d",
    surface_alt="#2c3036",
    sunken="#141518",
    border="#3a3f47",
    border_strong="#565d68",
    text="#e4e7eb",
    text_muted="#9ca3ad",
    text_disabled="#646b75",
    accent="#4b8bf5",
    accent_hover="#6a9ff7",
    accent_text="#ffffff",
    accent_soft="#243a5e",
    danger="#f0645a",
    danger_soft="#3d2326",
    warning="#f0a830",
    success="#5cb870",
    tooltip="#33373e",
    tooltip_text="#e4e7eb",
)

_current: Colours = LIGHT
_requested = "system"
_followers: set[int] = set()  # apps already following the system colour scheme


def colours() -> Colours:
    """The colours of the theme applied last (light before any)."""
    return _current


def is_dark() -> bool:
    return _current.dark


def requested_theme() -> str:
    """The theme asked for last: "system", "light" or "dark"."""
    return _requested


def _system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    # Unknown (older desktops, offscreen): guess from the platform's own window colour.
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 110


def resolve(theme: str) -> Colours:
    """The colours `theme` stands for right now ("system" asks the desktop)."""
    if theme == "dark":
        return DARK
    if theme == "light":
        return LIGHT
    return DARK if _system_is_dark() else LIGHT


def palette_for(c: Colours) -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    entries = {
        role.Window: c.window,
        role.WindowText: c.text,
        role.Base: c.surface,
        role.AlternateBase: c.surface_alt,
        role.ToolTipBase: c.tooltip,
        role.ToolTipText: c.tooltip_text,
        role.PlaceholderText: c.text_disabled,
        role.Text: c.text,
        role.Button: c.surface,
        role.ButtonText: c.text,
        role.BrightText: "#ffffff",
        role.Light: c.surface,
        role.Midlight: c.surface_alt,
        role.Mid: c.border,
        role.Dark: c.border_strong,
        role.Shadow: "#000000" if c.dark else "#8a919c",
        role.Highlight: c.accent,
        role.HighlightedText: c.accent_text,
        role.Link: c.accent_hover if c.dark else c.accent,
        role.LinkVisited: c.accent,
    }
    if hasattr(role, "Accent"):
        entries[role.Accent] = c.accent
    for r, value in entries.items():
        pal.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(group.Disabled, r, QColor(c.text_disabled))
    pal.setColor(group.Disabled, role.Highlight, QColor(c.border_strong))
    pal.setColor(group.Inactive, role.Highlight, QColor(c.accent))
    return pal


_ARROW = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 12 12"><path d="{path}" fill="none" '
    'stroke="{colour}" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
_arrow_dir: QTemporaryDir | None = None


def _arrow_files(c: Colours) -> dict[str, str]:
    """The spin box and combo box arrows in this theme's colours, as files a stylesheet can name."""
    global _arrow_dir  # noqa: PLW0603
    if _arrow_dir is None:
        _arrow_dir = QTemporaryDir()
    folder = Path(_arrow_dir.path())
    out = {}
    for name, path, colour in (
        ("up", "M2.5 7.5L6 4l3.5 3.5", c.text_muted),
        ("down", "M2.5 4.5L6 8l3.5-3.5", c.text_muted),
        ("up-disabled", "M2.5 7.5L6 4l3.5 3.5", c.text_disabled),
        ("down-disabled", "M2.5 4.5L6 8l3.5-3.5", c.text_disabled),
        ("check", "M2.6 6.2l2.3 2.3 4.6-4.9", c.accent_text),
        ("check-disabled", "M2.6 6.2l2.3 2.3 4.6-4.9", c.surface),
    ):
        file = folder / f"{name}-{colour.lstrip('#')}.svg"
        if not file.exists():
            file.write_text(_ARROW.format(path=path, colour=colour), encoding="utf-8")
        out[name] = file.as_posix()
    return out


def stylesheet_for(c: Colours) -> str:
    """Spacing, and the inputs and buttons drawn as one family (Fusion's look dated next to them)."""
    arrows = _arrow_files(c)
    return f"""
QToolTip {{
    color: {c.tooltip_text}; background: {c.tooltip}; border: 1px solid {c.border};
    padding: 4px 7px; border-radius: 4px;
}}
QPushButton {{
    padding: 5px 14px; min-height: 18px; min-width: 56px;
    border: 1px solid {c.border}; border-radius: 6px;
    background: {c.surface}; color: {c.text};
}}
QPushButton:hover {{ border-color: {c.border_strong}; background: {c.surface_alt}; }}
QPushButton:pressed {{ background: {c.sunken}; }}
QPushButton:focus {{ border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.text_disabled}; border-color: {c.border}; background: {c.window}; }}
QPushButton[primary="true"], QPushButton:default {{
    background: {c.accent}; border-color: {c.accent}; color: {c.accent_text};
}}
QPushButton[primary="true"]:hover, QPushButton:default:hover {{
    background: {c.accent_hover}; border-color: {c.accent_hover};
}}
QPushButton[primary="true"]:disabled, QPushButton:default:disabled {{
    background: {c.border}; border-color: {c.border}; color: {c.text_disabled};
}}
QLineEdit {{
    padding: 4px 6px; border: 1px solid {c.border}; border-radius: 5px;
    background: {c.surface}; color: {c.text};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
QLineEdit:focus {{ border-color: {c.accent}; }}
QLineEdit:disabled {{ background: {c.window}; color: {c.text_disabled}; }}
QLineEdit[invalid="true"] {{ border-color: {c.danger}; }}
QSpinBox, QDoubleSpinBox, QComboBox {{
    padding: 3px 6px; min-height: 18px; border: 1px solid {c.border}; border-radius: 5px;
    background: {c.surface}; color: {c.text};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{ border-color: {c.accent}; }}
QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled {{
    background: {c.window}; color: {c.text_disabled};
}}
QSpinBox::up-button, QDoubleSpinBox::up-button {{
    subcontrol-origin: border; subcontrol-position: top right; width: 20px;
    border: none; border-left: 1px solid {c.border}; border-top-right-radius: 5px;
}}
QSpinBox::down-button, QDoubleSpinBox::down-button {{
    subcontrol-origin: border; subcontrol-position: bottom right; width: 20px;
    border: none; border-left: 1px solid {c.border}; border-bottom-right-radius: 5px;
}}
QSpinBox::up-button:hover, QDoubleSpinBox::up-button:hover,
QSpinBox::down-button:hover, QDoubleSpinBox::down-button:hover {{ background: {c.surface_alt}; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({arrows["up"]}); width: 9px; height: 9px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url({arrows["down"]}); width: 9px; height: 9px; }}
QSpinBox::up-arrow:disabled, QDoubleSpinBox::up-arrow:disabled,
QSpinBox::up-arrow:off, QDoubleSpinBox::up-arrow:off {{ image: url({arrows["up-disabled"]}); }}
QSpinBox::down-arrow:disabled, QDoubleSpinBox::down-arrow:disabled,
QSpinBox::down-arrow:off, QDoubleSpinBox::down-arrow:off {{ image: url({arrows["down-disabled"]}); }}
QCheckBox, QRadioButton {{ spacing: 7px; }}
QCheckBox::indicator, QRadioButton::indicator {{
    width: 14px; height: 14px; border: 1px solid {c.border_strong}; background: {c.surface};
}}
QCheckBox::indicator {{ border-radius: 4px; }}
QRadioButton::indicator {{ border-radius: 8px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover,
QCheckBox:focus > QCheckBox::indicator, QCheckBox::indicator:focus,
QRadioButton::indicator:focus {{ border-color: {c.accent}; }}
QCheckBox::indicator:checked {{
    background: {c.accent}; border-color: {c.accent}; image: url({arrows["check"]});
}}
QRadioButton::indicator:checked {{
    width: 6px; height: 6px; border: 5px solid {c.accent}; background: {c.accent_text};
}}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    background: {c.window}; border-color: {c.border};
}}
QCheckBox::indicator:checked:disabled {{
    background: {c.border_strong}; border-color: {c.border_strong}; image: url({arrows["check-disabled"]});
}}
QRadioButton::indicator:checked:disabled {{ border-color: {c.border_strong}; background: {c.surface}; }}
QComboBox::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right; width: 18px; border: none; }}
QComboBox::down-arrow {{ image: url({arrows["down"]}); width: 10px; height: 10px; }}
QComboBox::down-arrow:disabled {{ image: url({arrows["down-disabled"]}); }}
QComboBox QAbstractItemView {{
    border: 1px solid {c.border}; background: {c.surface}; color: {c.text}; outline: 0;
    selection-background-color: {c.accent_soft}; selection-color: {c.text};
}}
QToolButton {{ border: 1px solid transparent; border-radius: 5px; padding: 3px; }}
QToolButton:hover {{ background: {c.surface_alt}; border-color: {c.border}; }}
QToolButton:pressed, QToolButton:checked {{ background: {c.sunken}; }}
QGroupBox {{ font-weight: 600; margin-top: 14px; padding-top: 6px; border: none; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 0px; padding: 0px; }}
QLabel[role="muted"] {{ color: {c.text_muted}; }}
QLabel[role="error"] {{ color: {c.danger}; }}
QLabel[role="heading"] {{ font-weight: 600; }}
QLabel[role="section"] {{ font-weight: 600; }}
QProgressBar {{
    border: none; border-radius: 4px; background: {c.sunken}; max-height: 8px; text-align: center;
}}
QProgressBar::chunk {{ border-radius: 4px; background: {c.accent}; }}
QListWidget#sidebar {{
    border: none; background: transparent; outline: 0;
}}
QListWidget#sidebar::item {{ padding: 7px 10px; border-radius: 6px; color: {c.text}; }}
QListWidget#sidebar::item:hover {{ background: {c.surface_alt}; }}
QListWidget#sidebar::item:selected {{ background: {c.accent_soft}; color: {c.text}; }}
"""


def apply_theme(app: QApplication, theme: str) -> None:
    """Fusion with the light or dark palette and the stylesheet; "system" follows the desktop."""
    global _current, _requested  # noqa: PLW0603 - one theme per process, like QApplication itself
    if theme not in THEMES:
        theme = "system"
    _requested = theme
    # Under a stylesheet the style's name reads "", so Fusion is set each time (a theme change is rare).
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    _current = resolve(theme)
    app.setPalette(palette_for(_current))
    app.setStyleSheet(stylesheet_for(_current))
    hints = app.styleHints()
    if id(app) not in _followers and hasattr(hints, "colorSchemeChanged"):
        _followers.add(id(app))
        hints.colorSchemeChanged.connect(_on_system_scheme_changed)


def _on_system_scheme_changed(*_args: object) -> None:
    app = QApplication.instance()
    if _requested == "system" and isinstance(app, QApplication):
        apply_theme(app, "system")


def repolish(widget: object) -> None:
    """Re-read the stylesheet after a dynamic property used by it (invalid, primary) changed."""
    style = getattr(widget, "style", None)
    if style is not None:
        style().unpolish(widget)
        style().polish(widget)


def use_theme(theme: str) -> None:
    """`apply_theme` on the running QApplication, if there is one."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, theme)
