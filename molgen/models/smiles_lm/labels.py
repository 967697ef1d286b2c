"""Property labels for conditional training: QED, SA, logP, MW, TPSA of every training molecule.

Computing them takes about a millisecond a molecule, so for MOSES (1.6 M molecules) they are
computed once in a process pool and cached under the molgen cache, keyed by the data's
fingerprint and the property names.
"""

from __future__ import annotations

import hashlib
import os
from multiprocessing import get_context
from typing import Sequence

import numpy as np
from rdkit import Chem

from molgen.data.files import replacing
from molgen.parallel import end_with_parent
from molgen.paths import cache_dir
from molgen.progress import progress_bar
from molgen.scoring.properties import PROPERTIES

CHUNK = 2_000


def _label_chunk(args: tuple[list[str], tuple[str, ...]]) -> np.ndarray:
    smiles, names = args
    out = np.full((len(smiles), len(names)), np.nan, dtype=np.float32)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:  # an unparsable training string keeps NaN labels: trained as "target not given"
            out[i] = [PROPERTIES[name].function(mol) for name in names]
    return out


def property_labels(smiles: Sequence[str], names: Sequence[str], *, n_jobs: int = 2, cache: bool = True,
                    progress: bool = True) -> np.ndarray:
    """A ``(len(smiles), len(names))`` float32 array of properties; NaN where a SMILES does not parse."""
    names = tuple(names)
    unknown = [name for name in names if name not in PROPERTIES]
    if unknown:
        raise ValueError(f"unknown properties {unknown}; known: {', '.join(PROPERTIES)}")
    digest = hashlib.sha256("\n".join(names).encode() + b"\0")
    for s in smiles:
        digest.update(s.encode() + b"\n")
    path = cache_dir("labels") / f"{digest.hexdigest()[:20]}.npy"
    if cache and path.is_file():
        labels = np.load(path)
        if labels.shape == (len(smiles), len(names)):
            return labels
    chunks = [(list(smiles[i:i + CHUNK]), names) for i in range(0, len(smiles), CHUNK)]
    bar = progress_bar(total=len(smiles), desc="property labels", unit="mol", disable=not progress)
    parts = []
    if n_jobs > 1 and len(chunks) > 1:
        with get_context("spawn").Pool(n_jobs, initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
            for part in pool.imap(_label_chunk, chunks):
                parts.append(part)
                bar.update(len(part))
    else:
        for chunk in chunks:
            parts.append(_label_chunk(chunk))
            bar.update(len(parts[-1]))
    bar.close()
    labels = np.concatenate(parts) if parts else np.zeros((0, len(names)), np.float32)
    if cache:
        with replacing(path) as partial, open(partial, "wb") as handle:   # a name of its own: two trainings may fill it
            np.save(handle, labels)
    return labels
