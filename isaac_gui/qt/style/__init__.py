"""The look: the theme (palettes, stylesheet) and the line icons."""
