"""Progress bars that suit where they are written: a terminal redraws one line often; a log file (nohup, CI, a
notebook's captured stderr) gets a line every half minute instead of a carriage-return redraw ten times a second
(a 50-step fine-tune wrote 13 kB of bar into a log)."""

from __future__ import annotations

import sys

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
