"""The photo viewer: full resolution, upright, boxes with labels, zoom, pan, class toggles."""
