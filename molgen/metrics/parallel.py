"""Per-molecule work of the metrics, split into chunks over a pool of worker processes.

RDKit calls hold the GIL, so molecules are described in processes (spawned: safe beside
torch's threads). A pool is started once per evaluation and shared by its stages, because
starting one (importing RDKit and molgen in each worker) costs about a second.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Callable, Iterator, Sequence, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def worker_count(n_jobs: int | None) -> int:
    return max(1, n_jobs or os.cpu_count() or 1)


class _LazyPool:
    """A spawn pool started on first use, so that evaluating a handful of molecules starts none."""

    def __init__(self, workers: int):
        self.workers, self._pool = workers, None

    def imap(self, function, pieces):
        if self._pool is None:
            self._pool = get_context("spawn").Pool(self.workers)
        return self._pool.imap(function, pieces)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


@contextmanager
def worker_pool(n_jobs: int | None) -> Iterator:
    """A pool of ``n_jobs`` worker processes (all cores by default), started when first
    used; None for one worker."""
    workers = worker_count(n_jobs)
    if workers == 1:
        yield None
        return
    pool = _LazyPool(workers)
    try:
        yield pool
    finally:
        pool.close()


def map_chunks(function: Callable[[list], T], items: Sequence, *, pool=None, n_jobs: int | None = None,
               chunk: int = 2000, progress: bool = False, desc: str = "describing") -> list[T]:
    """``function`` applied to consecutive chunks of ``items``; results in chunk order.

    Runs in ``pool`` when given; else in a pool of ``n_jobs`` started for this call, or in
    this process when one worker (or one chunk) is all there is.
    """
    items = list(items)
    pieces = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    if pool is None and len(pieces) > 1 and worker_count(n_jobs) > 1:
        with worker_pool(min(worker_count(n_jobs), len(pieces))) as own:
            return map_chunks(function, items, pool=own, chunk=chunk, progress=progress, desc=desc)
    mapped = pool.imap(function, pieces) if pool is not None and len(pieces) > 1 else map(function, pieces)
    results: list[T] = []
    with tqdm(total=len(items), desc=desc, unit="mol", disable=not progress) as bar:
        for piece, result in zip(pieces, mapped):
            results.append(result)
            bar.update(len(piece))
    return results
