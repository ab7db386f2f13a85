"""The frozen app's entry point: the same `isaac-gui` command as the installed package."""

import sys

from isaac_gui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
