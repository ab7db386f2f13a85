"""A run from the window: the controller, the engine's own process, its events on the GUI thread, the latency panel."""
