"""The cyclic GC while large parsed documents are held: no full collections, young ones go on.

A crawl or a scan holds hundreds of thousands of parsed JSON objects, which cannot form cycles, so they
are freed by reference counting. A full (oldest-generation) collection traverses all of them, and one is
due each time the oldest generation grows by a quarter: in benchmarks/bench_crawl.py (50 clusters,
100,000 workloads) that was over a third of the crawl's CPU time, and in benchmarks/bench_scan.py (25,000
objects) six full collections took about 8% of the scan. The process's setting comes back when the last
user ends; nesting and threads are fine.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_users = 0
_gc_threshold: tuple[int, ...] = ()


@contextmanager
def no_full_collections() -> Iterator[None]:
    """While inside, the cyclic GC makes no full collection (see the module's docstring)."""
    global _gc_users, _gc_threshold
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold = gc.get_threshold()
            if _gc_threshold[0]:  # 0: automatic collection is off anyway
                gc.set_threshold(_gc_threshold[0], _gc_threshold[1], 1_000_000)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_threshold[0]:
                gc.set_threshold(*_gc_threshold)
