"""Silencing RDKit's C++ log in bulk paths, where one warning per molecule would drown the user, and handing back
the Ctrl-C that RDKit can swallow there.

RDKit (2026.09) installs its own SIGINT handler for the length of every substructure search, so that a long search
can be stopped. A Ctrl-C that lands inside one ends that search early ("Substructure search was interrupted, result
may not include all matches", on its warning log) and often never reaches Python: a review's `molgen score` finished
and wrote its file in 10 of 27 interrupts, and a QED computed from a cut-short search can differ (0.3943 against
0.3894). So a quiet block turns RDKit's log off but its warnings, which go to Python's logging there (a filter drops
them, noting that one), and on leaving raises the swallowed SIGINT again: the command stops as if RDKit had never
held it. Errors stay off in RDKit itself: its bridge to Python's logging fails on a message holding part of a
multibyte character (a SMILES Parse Error quoting random bytes).
"""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from rdkit import rdBase

#: The warning RDKit logs when a SIGINT stopped one of its searches.
SWALLOWED_INTERRUPT = "Substructure search was interrupted"

_quiet = threading.local()          # how deep this thread is in quiet blocks
_swallowed = threading.Event()      # RDKit took a SIGINT that Python has not seen


class _QuietGate(logging.Filter):
    """On RDKit's Python logger: inside a quiet block, drops every record and notes a swallowed Ctrl-C."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(_quiet, "depth", 0):
            return True   # RDKit's log sent to Python by the caller, outside molgen's quiet blocks: untouched
        if SWALLOWED_INTERRUPT in record.getMessage():
            _swallowed.set()
        return False


_RDKIT_LOGGER = logging.getLogger("rdkit")
if not any(isinstance(f, _QuietGate) for f in _RDKIT_LOGGER.filters):
    _RDKIT_LOGGER.addFilter(_QuietGate())


@contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Drop RDKit's log (errors and warnings) inside the ``with`` block; on leaving it normally, raise again a SIGINT
    that RDKit swallowed meanwhile (the module's docstring says why). RDKit's log goes back to its C++ streams after
    the outermost block (its default)."""
    depth = getattr(_quiet, "depth", 0)
    if depth == 0:
        # which channels were on, to be put back (LogToPythonLogger and LogToCppStreams enable every channel, and
        # BlockLogs then restores none: it keeps the logs it replaced)
        enabled = dict(line.rsplit(":", 1) for line in rdBase.LogStatus().splitlines())
        rdBase.LogToPythonLogger()
        for channel in enabled:
            if channel != "rdApp.warning":
                rdBase.DisableLog(channel)
    _quiet.depth = depth + 1
    try:
        yield
    except BaseException:
        _swallowed.clear()   # already stopping (a KeyboardInterrupt among others): no second one
        raise
    finally:
        _quiet.depth = depth
        if depth == 0:
            rdBase.LogToCppStreams()
            for channel, state in enabled.items():
                (rdBase.EnableLog if state == "enabled" else rdBase.DisableLog)(channel)
    if _swallowed.is_set():
        _swallowed.clear()
        signal.raise_signal(signal.SIGINT)
