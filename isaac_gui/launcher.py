"""The `isaac-gui` command: the desktop app when called alone (or as `isaac-gui gui`), otherwise
the headless commands of `isaac_gui.cli` — which import no Qt, so a server without Qt's libraries
runs backlogs all the same."""

from __future__ import annotations

import sys
from collections.abc import Sequence

HEADLESS = {
    "run",
    "simulate",
    "demo",
    "export",
    "audit",
    "upload",
    "-h",
    "--help",
}  # every command of cli.py (a test checks)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in HEADLESS:
        from isaac_gui import cli  # noqa: PLC0415

        return cli.main(args)
    if args and args[0] == "_engine":  # the window's engine process (isaac_gui.qt.run.engine_process)
        from isaac_gui.qt.run.engine_process import host_main  # noqa: PLC0415

        return host_main()
    if args and args[0] == "gui":
        args = args[1:]
    from isaac_gui.qt.shell.app import main as gui_main  # noqa: PLC0415

    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())
