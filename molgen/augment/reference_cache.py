"""A large held-out set's keys and fingerprints, kept on disk from one run to the next.

Building a :class:`~molgen.augment.guards.ReferenceSet` parses every molecule, writes its canonical SMILES with
and without stereo, hashes its parent and fingerprints it: 46 s for MOSES test's 176,074 molecules on this
2-core machine, paid again by every ``molgen augment ... --held-out moses:test``. What it builds depends only on
the molecules given (in their order), on RDKit's version (canonical SMILES may change between releases) and on how
molgen keys a molecule, so it is stored once under the molgen cache, named by a digest of all three, and read back
in under two seconds (``benchmarks/leak_guard.py``). A file that cannot be read is rebuilt, not trusted.
"""

from __future__ import annotations

import hashlib
import os
from typing import Sequence

import pandas as pd
import rdkit
from rdkit import DataStructs

from molgen.paths import cache_dir
from molgen.scoring.similarity import MORGAN_BITS, MORGAN_RADIUS

#: Sets smaller than this are built in well under a second: not worth a file.
CACHE_FROM = 5_000
#: Raise when a ReferenceSet's keys change (parent_key, the SMILES without stereo, the fingerprint): the old files
#: are then never read again.
KEYS_VERSION = 1


def digest(smiles: Sequence) -> str:
    """What a reference set's keys depend on: its entries in order, RDKit's version and molgen's keying."""
    hasher = hashlib.sha256(f"keys {KEYS_VERSION} rdkit {rdkit.__version__} morgan {MORGAN_RADIUS} "
                            f"{MORGAN_BITS}\n".encode())
    for entry in smiles:
        hasher.update(repr(entry).encode() + b"\n")
    return hasher.hexdigest()[:32]


def _path(smiles: Sequence):
    return cache_dir("held-out") / f"{digest(smiles)}.parquet"


def load(smiles: Sequence) -> tuple[list[tuple[str, str, str]], list, list[str]] | None:
    """(each readable molecule's canonical SMILES, without stereo and parent key; their fingerprints; the
    unreadable entries) as stored for these ``smiles``, or None when nothing usable is stored."""
    path = _path(smiles)
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path)
        molecules = table[table["kind"] == "molecule"]
        rows = list(zip(molecules["canonical"], molecules["flat"], molecules["parent"]))
        fingerprints = [DataStructs.ExplicitBitVect(bytes(b)) for b in molecules["fingerprint"]]
        unreadable = table.loc[table["kind"] == "unreadable", "canonical"].tolist()
    except Exception:  # noqa: BLE001 -- a truncated or foreign file (any reader error): rebuilt, not trusted
        return None
    return rows, fingerprints, unreadable


def save(smiles: Sequence, rows: list[tuple[str, str, str]], fingerprints: list, unreadable: list[str]) -> None:
    """Store what :func:`load` reads back, atomically (a reader never finds half a file). A cache that cannot be
    written (a read-only disk) costs the next run the build, nothing more."""
    table = pd.DataFrame({
        "kind": ["molecule"] * len(rows) + ["unreadable"] * len(unreadable),
        "canonical": [row[0] for row in rows] + list(unreadable),
        "flat": [row[1] for row in rows] + [None] * len(unreadable),
        "parent": [row[2] for row in rows] + [None] * len(unreadable),
        "fingerprint": [fp.ToBinary() for fp in fingerprints] + [None] * len(unreadable),
    })
    partial = None
    try:
        path = _path(smiles)
        partial = path.with_name(path.name + ".partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, path)
    except OSError:
        if partial is not None:
            partial.unlink(missing_ok=True)
