"""``python -m isaac_gui.sim``: the Perceptron API simulator on its own.

Same options as ``isaac-gui simulate`` (see ``cli``).
"""

from __future__ import annotations

import argparse
import sys

from .cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m isaac_gui.sim", description="Simulate Perceptron's API.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
