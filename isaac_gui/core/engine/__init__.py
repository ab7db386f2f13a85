"""The engine that sends a folder of photos through Isaac (`Runner`); see `engine.runner`."""
