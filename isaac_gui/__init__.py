"""isaac_gui: defect detection over folders of photos with Perceptron's Isaac model.

The package root imports nothing: `isaac_gui.core`, `isaac_gui.sim` and `isaac_gui.cli` are Qt-free;
`isaac_gui.qt` is the desktop front end.
"""

__version__ = "0.1.0"
