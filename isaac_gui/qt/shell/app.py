"""Starting the desktop app: `isaac-gui`, `isaac-gui gui [--demo] [FOLDER]`.

`main(argv)` takes the arguments after the program name; a leading "gui" is accepted and ignored,
so the command line can pass its own argv through:

    isaac-gui                     the window; the last folder reopens
    isaac-gui gui FOLDER          the window with FOLDER open
    isaac-gui gui --demo          straight into demo mode: the built-in simulator on sample photos

The first start with no API key anywhere (PERCEPTRON_API_KEY, the keychain, a base URL in the
settings) shows the welcome dialog: paste a key, point at a self-hosted endpoint, or try the demo.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from isaac_gui.core.settings import APP_NAME, AppSettings, load_api_key, save_api_key
from isaac_gui.qt.shell.main_window import MainWindow
from isaac_gui.qt.style.theme import use_theme
from isaac_gui.qt.workers.responsive import freeze_long_lived

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    args = list(argv)
    if args and args[0] == "gui":
        args = args[1:]
    parser = argparse.ArgumentParser(prog="isaac-gui gui", description="The isaac-gui desktop app.")
    parser.add_argument(
        "--demo", action="store_true", help="start in demo mode (simulated API, sample photos)"
    )
    parser.add_argument("folder", nargs="?", type=Path, help="a folder of photos to open")
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close the window after this long (smoke tests of installed builds)",
    )
    return parser.parse_args(args)


def has_credentials(settings: AppSettings, load_key: Callable[[], str | None] = load_api_key) -> bool:
    """A way to reach Isaac exists: a key in the environment or the keychain, or a base URL."""
    return bool(
        os.environ.get("PERCEPTRON_API_KEY")
        or os.environ.get("PERCEPTRON_BASE_URL")
        or settings.base_url
        or load_key()
    )


def _welcome_dialog(parent: QWidget) -> Any:
    from isaac_gui.qt.dialogs.welcome import WelcomeDialog  # noqa: PLC0415

    return WelcomeDialog(parent)


def run_welcome(window: MainWindow, make_dialog: Callable[[QWidget], Any] = _welcome_dialog) -> str | None:
    """Show the welcome dialog and act on the choice; returns it ("key", "endpoint", "demo" or None)."""
    dialog = make_dialog(window)
    try:
        dialog.exec()
        choice = getattr(dialog, "choice", None)
        api_key = getattr(dialog, "api_key", "") or ""
        base_url = getattr(dialog, "base_url", "") or ""
    finally:
        if hasattr(dialog, "deleteLater"):
            dialog.deleteLater()
    if choice == "key" and api_key and not getattr(dialog, "key_saved", False):
        # The dialog stores the key in the keychain itself; without one the user chose to use it
        # for this session only: it lives in this process's environment, where the SDK reads it.
        os.environ["PERCEPTRON_API_KEY"] = api_key
    elif choice == "endpoint" and base_url:
        window.settings.base_url = base_url
        if api_key:
            with contextlib.suppress(Exception):  # a self-hosted endpoint may not need one
                save_api_key(api_key)
        window.settings.save()
    elif choice == "demo":
        window.start_demo()
    return choice


def create_app(argv: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME, *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)  # QSettings and platformdirs then share one folder name
    app.setApplicationDisplayName("isaac-gui")
    app.setDesktopFileName(APP_NAME)
    try:
        from isaac_gui.qt.style.icons import app_icon  # noqa: PLC0415

        app.setWindowIcon(app_icon())
    except (ImportError, OSError) as exc:
        log.warning("the window icon could not be loaded: %s", exc)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="isaac-gui: %(message)s")
    app = create_app()
    settings = AppSettings.load()
    use_theme(settings.theme)
    window = MainWindow(settings)
    window.restore_state()
    window.show()
    window.controller.keep_engine_ready()
    if args.quit_after is not None:  # also closes the welcome dialog if it is still up
        QTimer.singleShot(int(args.quit_after * 1000), QApplication.closeAllWindows)
    freeze_long_lived()
    if args.demo:
        window.start_demo()
    elif not has_credentials(settings):
        if run_welcome(window) != "demo" and args.folder:
            window.open_paths([args.folder])
    elif args.folder:
        window.open_paths([args.folder])
    elif settings.recent_folders and Path(settings.recent_folders[0]).is_dir():
        window.open_paths([Path(settings.recent_folders[0])])
    if not window.isVisible():  # closed while the welcome dialog was up (--quit-after)
        window.shutdown()
        return 0
    code = app.exec()
    window.shutdown()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
