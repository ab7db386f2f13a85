"""One colour per class, the same in the grid, the viewer and every export.

A class's colour follows its position in the run's class list, so two classes of a run never share
a colour. The palette is Tableau 10: distinct for the colour-blind and readable on photos.
"""

from __future__ import annotations

from collections.abc import Sequence

TABLEAU10: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def class_colour(classes: Sequence[str], mention: str) -> tuple[int, int, int]:
    """The colour of `mention` in a run over `classes`; a mention the run did not ask for gets grey."""
    folded = [c.casefold() for c in classes]
    try:
        index = folded.index(mention.casefold())
    except ValueError:
        return (127, 127, 127)
    return TABLEAU10[index % len(TABLEAU10)]


def text_colour_on(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on a label filled with `rgb`."""
    r, g, b = rgb
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return (0, 0, 0) if luminance > 150 else (255, 255, 255)
