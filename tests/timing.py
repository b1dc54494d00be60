"""The one way the bounds tests time work: CPU seconds of the calling thread, with the garbage collector paused.

Wall time counts whatever else the machine does (vLLM generating beside the tests failed CI at 0.58 s for 0.5 s
of work). CPU time of the thread does not, but a full garbage collection does: it walks the whole test
process's heap (the models earlier tests loaded) and read 0.68 s of CPU inside 0.03 s of regex work in CI. So
the collector is paused while the work runs; a slow pattern still costs CPU seconds and still fails."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def cpu_seconds(run: Callable[..., object], *args: object) -> float:
    gc.disable()  # no collect() first: a full one per call cost 0.2 s each, thousands of times
    try:
        started = time.thread_time()
        run(*args)
        return time.thread_time() - started
    finally:
        gc.enable()
