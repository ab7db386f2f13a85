"""`isaac-gui CMD` reaches the headless command line for every command it has, the window otherwise."""

from __future__ import annotations

import argparse

from isaac_gui import cli, launcher


def test_every_command_of_the_command_line_is_routed_to_it() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) <= launcher.HEADLESS
    assert "gui" not in launcher.HEADLESS
