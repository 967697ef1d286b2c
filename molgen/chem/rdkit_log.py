"""Silencing RDKit's C++ log in bulk paths, where one warning per molecule would drown the user."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rdkit import rdBase


@contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Block RDKit's log (errors and warnings) inside the ``with`` block, restoring it after."""
    blocker = rdBase.BlockLogs()
    try:
        yield
    finally:
        del blocker
