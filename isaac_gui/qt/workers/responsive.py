"""Keeping the event loop responsive while other threads work: priorities, first uses, the collector.

Everything the GUI thread runs needs the GIL, and so does everything the folder scan and the
thumbnail decoders run (the engine has a process, and so a GIL, of its own: `engine_process`).
On two cores, the GUI thread must first get a CPU, then the GIL; every Python slot pays both again.

- Priorities: worker threads call `lower_this_thread()` once, so the scheduler runs the GUI thread
  first (Linux: per-thread nice 10; elsewhere `QThread.LowPriority`). Measured with a 1 ms
  heartbeat while a run streamed answers with no latency, with the engine's threads in the
  window's process: p99 stall 40 ms at equal priority, 16-23 ms with the workers niced. The engine
  has its own process, so this guards the folder scan and the thumbnail decoders.
- First uses: `warm_up()` loads every image plugin before the window shows, instead of on the
  first thumbnail.
- The cycle collector: a full collection walks every tracked object while holding the GIL; with a
  100,000-photo folder listed that is hundreds of thousands of objects, and one collection during
  a fast run took 35 ms. The rows of an opened folder live until the next folder is opened, so
  once a listing is complete `freeze_long_lived()` moves what is alive into the permanent
  generation (`gc.freeze()`), which later collections skip. Frozen objects that are dropped are
  still freed by reference counting; only cycles among them wait.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading

from PySide6.QtCore import QThread

_warm = False

_lowered = threading.local()
WORKER_NICE = 10  # Linux nice of worker threads: the GUI thread (nice 0) gets the CPU first


def lower_this_thread() -> None:
    """Make the calling (worker) thread yield the CPU to the GUI thread; once per thread."""
    if getattr(_lowered, "done", False):
        return
    _lowered.done = True
    if sys.platform.startswith("linux"):  # per-thread nice: a thread id is a scheduling entity here
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
    else:
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)


def warm_up() -> None:
    """Pay first-use costs now (GUI thread, before the window shows) instead of on a first paint."""
    global _warm  # noqa: PLW0603 - once per process
    if _warm:
        return
    _warm = True
    from PIL import Image  # noqa: PLC0415

    Image.init()  # every image plugin, instead of on the first thumbnail


def freeze_long_lived() -> None:
    """Call when a long-lived set of objects has just been built (the app started, a folder listed)."""
    gc.collect(1)  # young garbage goes now, not into the permanent generation
    gc.freeze()
