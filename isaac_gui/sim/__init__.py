"""A loopback simulator of the Perceptron API, for tests, benchmarks and the demo.

- ``server``: ``Simulator``, the HTTP server speaking the SDK's wire protocol, with faults and limits
- ``config``: ``SimulatorConfig`` and the fault names
- ``protocol``: request parsing and answer formatting (completions, SSE streams, error bodies)
- ``transport``: the threaded HTTP/1.1 server plumbing
- ``detector`` / ``markers``: the stand-in for the model (colour-marker patches → boxes)
- ``stats``: request counters and the per-key rate limiter
- ``samples``: synthetic part photos with ground truth
- ``cli`` / ``__main__``: ``isaac-gui simulate`` and ``python -m isaac_gui.sim``

Nothing here imports Qt.
"""
