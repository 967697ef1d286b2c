"""Progress bars that suit where they are written: a terminal redraws one line often; a log file (nohup, CI, a
notebook's captured stderr) gets a line every half minute instead of a carriage-return redraw ten times a second
(a 50-step fine-tune wrote 13 kB of bar into a log)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from tqdm.auto import tqdm

#: Seconds between updates when stderr is not a terminal.
LOG_INTERVAL = 30.0


def progress_bar(**options) -> tqdm:
    """A :class:`tqdm` bar (same options), updated at most every :data:`LOG_INTERVAL` seconds off a terminal."""
    stream = options.get("file") or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        options.setdefault("mininterval", LOG_INTERVAL)
        options.setdefault("maxinterval", LOG_INTERVAL * 2)
    return tqdm(**options)


#: Who hears how far a slow sampler has got through the work it was given (a fraction, 0 to 1): set by a caller
#: around the call (the web app around a run, whose bar otherwise moves only between chunks), read by the sampler
#: (graph diffusion reports each denoising step). Per thread: two browser sessions sample apart.
_WITHIN: ContextVar[Callable[[float], None] | None] = ContextVar("progress_within", default=None)


@contextmanager
def reporting_progress(report: Callable[[float], None]) -> Iterator[None]:
    """Within the block, a sampler's :func:`report_progress` calls ``report`` with the fraction of its work done."""
    token = _WITHIN.set(report)
    try:
        yield
    finally:
        _WITHIN.reset(token)


@contextmanager
def progress_part(start: float, share: float) -> Iterator[None]:
    """A part of the work (a batch of a chunk): the fractions reported inside it are of that part, heard as
    ``start + share * fraction`` of the whole."""
    outer = _WITHIN.get()
    if outer is None:
        yield
        return
    with reporting_progress(lambda fraction: outer(start + share * fraction)):
        yield


def report_progress(fraction: float) -> None:
    """Say how far the work has got, to whoever listens (nobody, by default)."""
    if (report := _WITHIN.get()) is not None:
        report(min(max(fraction, 0.0), 1.0))
