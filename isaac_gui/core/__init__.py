"""The engine: everything a front end needs, with no Qt."""
