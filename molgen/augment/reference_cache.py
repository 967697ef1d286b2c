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
from functools import lru_cache
from typing import Sequence

import pandas as pd
import rdkit
from rdkit import Chem, DataStructs

from molgen.data.files import replacing
from molgen.paths import cache_dir
from molgen.scoring.similarity import MORGAN_BITS, MORGAN_RADIUS

#: Sets smaller than this are built in well under a second: not worth a file.
CACHE_FROM = 5_000
#: Raise when a ReferenceSet's keys change (parent_key, the SMILES without stereo, the fingerprint): the old files
#: are then never read again.
KEYS_VERSION = 7   # 2: a salt's parent is no listed counter-ion (pamoate outweighed olanzapine); 3: a metal bonded
                  # to its anion (O[Na]) is a salt, and fingerprints are of parents; 4: carbonate and cyanide are
                  # inorganic (olamine carbonate's parent is olamine, not carbonic acid); 5: a parent is the largest
                  # fragment by heavy atoms, not counting hydrogens; 6: and a salt former that is a drug too is no
                  # parent beside a compound that is none (aspirin lysine's parent is aspirin, ornithine
                  # aspartate's ornithine); 7: imidazole, ethylenediamine and more solvents listed (imidazole
                  # salicylate's parent is salicylic acid)


#: Molecules keyed afresh by every process and folded into the digest: a change to the keying (the parent, the
#: neutralizer, the fingerprint) that nobody marked by raising KEYS_VERSION still names another file, where a stale
#: file would miss a leak. A salt, a charge state, stereo, an isotope, a mixture, a tautomer-prone ring.
PROBES = ("CC(=O)Oc1ccccc1C(=O)O", "CN(C)CCC=C1c2ccccc2CCc2ccccc12.Cl", "C[NH+](C)C", "[O-]C(=O)c1ccccc1.[Na+]",
          "C[C@H](N)C(=O)O", "[2H]C([2H])([2H])Oc1ccccc1", "O=c1cccc[nH]1", "CCO.CC(=O)Nc1ccc(O)cc1", "NCCO.OC(=O)O",
          "CC(=O)Oc1ccccc1C(=O)O.NCCCCC(N)C(=O)O", "NCCCC(N)C(=O)O.NC(CC(=O)O)C(=O)O",
          "c1c[nH]cn1.OC(=O)c1ccccc1O", "N=C(N)NCCCC(N)C(=O)O.CCCC(=O)O",
          "Cc1cc2c(s1)Nc1ccccc1N=C2N1CCN(C)CC1.O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O")


@lru_cache(maxsize=1)
def _keying() -> str:
    from molgen.augment.guards import parent_key
    from molgen.chem.parse import parse_smiles
    from molgen.chem.rdkit_log import quiet_rdkit
    from molgen.scoring.similarity import morgan_fingerprint

    with quiet_rdkit():
        mols = [parse_smiles(s).mol for s in PROBES]
        return "|".join(f"{Chem.MolToSmiles(m)} {Chem.MolToSmiles(m, isomericSmiles=False)} {parent_key(m)} "
                        f"{morgan_fingerprint(m).ToBase64()}" for m in mols)


def digest(smiles: Sequence) -> str:
    """What a reference set's keys depend on: its entries in order, RDKit's version and molgen's keying (as
    :data:`KEYS_VERSION` says and as :data:`PROBES` show it)."""
    hasher = hashlib.sha256(f"keys {KEYS_VERSION} rdkit {rdkit.__version__} morgan {MORGAN_RADIUS} "
                            f"{MORGAN_BITS}\n{_keying()}\n".encode())
    for entry in smiles:
        hasher.update(repr(entry).encode() + b"\n")
    return hasher.hexdigest()[:32]


def _path(smiles: Sequence):
    return cache_dir("held-out") / f"{digest(smiles)}.parquet"


def is_stored(smiles: Sequence) -> bool:
    """Whether keying these ``smiles`` will read a stored file (seconds) rather than build one (a minute for MOSES
    test), so that a caller can say which before it starts."""
    try:
        return _path(smiles).is_file()
    except OSError:
        return False


def load(smiles: Sequence) -> tuple[list[tuple[str, str, str]], list, list[str]] | None:
    """(each readable molecule's canonical SMILES, without stereo and parent key; their fingerprints; the
    unreadable entries) as stored for these ``smiles``, or None when nothing usable is stored."""
    try:
        path = _path(smiles)   # a cache folder that cannot be made (MOLGEN_CACHE under a file): no cache, no error
        if not path.is_file():
            return None
        table = pd.read_parquet(path)
        molecules = table[table["kind"] == "molecule"]
        rows = list(zip(molecules["canonical"], molecules["flat"], molecules["parent"]))
        fingerprints = [DataStructs.ExplicitBitVect(bytes(b)) for b in molecules["fingerprint"]]
        unreadable = table.loc[table["kind"] == "unreadable", "canonical"].tolist()
    except Exception:  # noqa: BLE001 -- a truncated or foreign file (any reader error): rebuilt, not trusted
        return None
    if len(rows) + len(unreadable) != len(smiles) or len(fingerprints) != len(rows):   # not this set's file
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
    try:
        # a name of its own: two processes keying the same set at once each write their own file, and the last
        # rename wins with a whole file (both hold the same keys)
        with replacing(_path(smiles)) as partial:
            table.to_parquet(partial, index=False)
    except OSError:
        pass
