"""Graph featurizer: SMILES -> ``torch_geometric.data.Data``, with an on-disk cache.

A graph's ``x`` holds atom-type indices (into the dataset's :class:`AtomVocabulary`),
``edge_index`` both directions of every bond, ``edge_attr`` the bond-type index (into
``molgen.chem.AROMATIC_BOND_TYPES``; Kekulé graphs, the default, use only the first three). Models embed the indices; keeping them as integers makes the
cache small (all of MOSES in a few hundred MB) and lets each model choose its features.

A processed dataset is stored as a handful of concatenated tensors keyed by a hash of the
SMILES, the vocabulary, the bond scheme and :data:`FEATURIZER_VERSION`, so the second load is seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from molgen.chem.graph import AtomType, AtomVocabulary, MolGraph, typed_graph
from molgen.chem.parse import parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.files import replacing
from molgen.parallel import end_with_parent
from molgen.paths import cache_dir
from molgen.progress import progress_bar

#: Bump when the graph encoding changes, so stale caches are not reused.
FEATURIZER_VERSION = 3   # 3: isotope labels folded away (a deuterium was an H atom)


def graph_to_data(graph: MolGraph, smiles: str | None = None) -> Data:
    """A :class:`MolGraph` as a PyG ``Data`` with both directions of every bond."""
    bonds = torch.from_numpy(graph.bonds)
    kinds = torch.from_numpy(graph.bond_types)
    edge_index = torch.cat([bonds.T, bonds.flip(1).T], dim=1) if len(bonds) else torch.zeros(2, 0, dtype=torch.long)
    data = Data(x=torch.from_numpy(graph.atoms), edge_index=edge_index, edge_attr=torch.cat([kinds, kinds]))
    if smiles is not None:
        data.smiles = smiles
    return data


@dataclass(frozen=True)
class FeaturizeFailure:
    """A SMILES that produced no graph: its position in the input and why."""

    index: int
    smiles: str
    reason: str


def featurize_one(smiles: str, aromatic: bool = False) -> tuple[list[AtomType], np.ndarray, np.ndarray] | str:
    """Atom types and typed bonds of one SMILES, or the reason there are none (parse failure, radical)."""
    parsed = parse_smiles(smiles)
    if not parsed.ok:
        return f"{parsed.failure.value}: {parsed.message}"
    try:
        return typed_graph(parsed.mol, aromatic=aromatic)
    except ValueError as error:
        return str(error)


@dataclass
class _Chunk:
    """A worker's output: its own small atom-type table, and per molecule local indices or a reason.

    Returning indices into a per-chunk table (instead of millions of ``AtomType`` objects)
    keeps the traffic between processes and the main process's memory small.
    """

    types: list[AtomType]
    graphs: list[tuple[np.ndarray, np.ndarray, np.ndarray] | str]


class GraphDataset(torch.utils.data.Dataset):
    """Featurized molecules held as concatenated tensors; ``dataset[i]`` is a PyG ``Data``.

    ``failures`` lists every input that produced no graph, with its reason: nothing is
    dropped without a record. ``aromatic`` says which bond scheme the graphs use.
    """

    def __init__(self, smiles: list[str], atoms: torch.Tensor, bonds: torch.Tensor, bond_types: torch.Tensor,
                 atom_ptr: torch.Tensor, bond_ptr: torch.Tensor, vocabulary: AtomVocabulary,
                 failures: list[FeaturizeFailure], aromatic: bool = False):
        self.smiles, self.atoms, self.bonds, self.bond_types = smiles, atoms, bonds, bond_types
        self.atom_ptr, self.bond_ptr = atom_ptr, bond_ptr
        self.vocabulary, self.failures, self.aromatic = vocabulary, failures, aromatic

    def __len__(self) -> int:
        return len(self.smiles)

    def graph(self, index: int) -> MolGraph:
        a0, a1 = int(self.atom_ptr[index]), int(self.atom_ptr[index + 1])
        b0, b1 = int(self.bond_ptr[index]), int(self.bond_ptr[index + 1])
        return MolGraph(self.atoms[a0:a1].numpy(), self.bonds[b0:b1].numpy(), self.bond_types[b0:b1].numpy())

    def __getitem__(self, index: int) -> Data:
        if index < 0:
            index += len(self)
        return graph_to_data(self.graph(index), self.smiles[index])

    def source_rows(self, n_inputs: int) -> np.ndarray:
        """For each kept graph, its position among the ``n_inputs`` molecules given to ``featurize``."""
        return np.delete(np.arange(n_inputs), [f.index for f in self.failures])

    def num_atoms(self) -> torch.Tensor:
        """Heavy-atom count of every molecule (the size distribution generators sample from)."""
        return self.atom_ptr[1:] - self.atom_ptr[:-1]

    def save(self, path: Path) -> None:
        payload = {
            "smiles": "\n".join(self.smiles), "atoms": self.atoms, "bonds": self.bonds, "bond_types": self.bond_types,
            "atom_ptr": self.atom_ptr, "bond_ptr": self.bond_ptr, "vocabulary": json.dumps(self.vocabulary.to_dict()),
            "failures": json.dumps([[f.index, f.smiles, f.reason] for f in self.failures]),
            "version": FEATURIZER_VERSION, "aromatic": self.aromatic,
        }
        # a name of its own (two processes featurizing one dataset share no file), renamed whole: an interrupted save
        # never leaves half a cache
        with replacing(Path(path)) as partial:
            torch.save(payload, partial)

    @classmethod
    def load(cls, path: Path, aromatic: bool | None = None) -> "GraphDataset":
        """Read a saved dataset; with ``aromatic`` given, refuse one saved in the other bond scheme.

        Caches written before the scheme was recorded carry no flag; they are taken to be in the
        scheme asked for (their cache key already tells the two apart).
        """
        payload = torch.load(path, weights_only=True)
        if payload.get("version") != FEATURIZER_VERSION:
            raise ValueError(f"{path}: graph cache version {payload.get('version')}, expected {FEATURIZER_VERSION}")
        saved = payload.get("aromatic")
        if aromatic is not None and saved is not None and bool(saved) != aromatic:
            raise ValueError(f"{path}: graphs in the {bond_scheme_name(bool(saved))} bond scheme, "
                             f"expected {bond_scheme_name(aromatic)}")
        smiles = payload["smiles"].split("\n") if payload["smiles"] else []
        failures = [FeaturizeFailure(*row) for row in json.loads(payload["failures"])]
        scheme = bool(saved) if saved is not None else bool(aromatic)
        return cls(smiles, payload["atoms"], payload["bonds"], payload["bond_types"], payload["atom_ptr"],
                   payload["bond_ptr"], AtomVocabulary.from_dict(json.loads(payload["vocabulary"])), failures,
                   aromatic=scheme)


def bond_scheme_name(aromatic: bool) -> str:
    """How people name the two bond schemes: "aromatic" or "Kekulé"."""
    return "aromatic" if aromatic else "Kekulé"


def cache_key(smiles: Sequence[str], vocabulary: AtomVocabulary | None, aromatic: bool = False) -> str:
    # The Kekulé key is unchanged from before the aromatic scheme existed, so old caches stay valid.
    digest = hashlib.sha256(f"v{FEATURIZER_VERSION}{' aromatic' if aromatic else ''}\n".encode())
    types = vocabulary.to_dict()["types"] if vocabulary is not None else "derived"
    digest.update(json.dumps(types).encode())
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:24]


def _featurize_chunk(chunk: list[str], aromatic: bool = False) -> _Chunk:
    table: dict[AtomType, int] = {}
    graphs: list[tuple[np.ndarray, np.ndarray, np.ndarray] | str] = []
    with quiet_rdkit():
        for s in chunk:
            result = featurize_one(s, aromatic)
            if isinstance(result, str):
                graphs.append(result)
                continue
            types, bonds, kinds = result
            local = np.array([table.setdefault(t, len(table)) for t in types], dtype=np.int64)
            graphs.append((local, bonds, kinds))
    return _Chunk(list(table), graphs)


def featurize(smiles: Sequence[str], vocabulary: AtomVocabulary | None = None, *, cache: bool = True,
              workers: int | None = None, progress: bool = True, chunk_size: int = 20_000,
              aromatic: bool = False) -> GraphDataset:
    """Featurize SMILES into a :class:`GraphDataset`, loading it from the cache when it was built before.

    Args:
        smiles: the molecules, in order; invalid ones end up in ``dataset.failures``.
        vocabulary: the atom types; atoms outside it are failures. When omitted, the
            vocabulary is derived from ``smiles`` in the same pass (``dataset.vocabulary``).
        cache: read and write ``<cache>/graphs/<key>.pt``.
        workers: processes to use (default: all cores for large inputs, one for small).
        progress: show a progress bar.
        aromatic: the aromatic bond scheme (``molgen.chem.graph``) instead of the Kekulé one.
    """
    smiles = list(smiles)
    path = cache_dir("graphs") / f"{cache_key(smiles, vocabulary, aromatic)}.pt" if cache else None
    if path is not None and path.is_file():
        return GraphDataset.load(path, aromatic=aromatic)
    pieces = [smiles[i:i + chunk_size] for i in range(0, len(smiles), chunk_size)]
    workers = workers or ((os.cpu_count() or 1) if len(smiles) > 2 * chunk_size else 1)
    bar = progress_bar(total=len(smiles), desc="featurizing", unit="mol", disable=not progress)
    chunks: list[_Chunk] = []
    work = partial(_featurize_chunk, aromatic=aromatic)
    if workers > 1:
        with get_context("spawn").Pool(workers, initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
            for chunk in pool.imap(work, pieces):
                chunks.append(chunk)
                bar.update(len(chunk.graphs))
    else:
        for piece in pieces:
            chunks.append(work(piece))
            bar.update(len(piece))
    bar.close()
    if vocabulary is None:
        vocabulary = _vocabulary_of(chunks)
    dataset = _assemble(smiles, chunks, vocabulary, aromatic)
    if path is not None:
        dataset.save(path)
    return dataset


def _vocabulary_of(chunks: list[_Chunk]) -> AtomVocabulary:
    counts: Counter[AtomType] = Counter()
    for chunk in chunks:
        used = [g[0] for g in chunk.graphs if not isinstance(g, str)]
        if used:
            for t, n in zip(chunk.types, np.bincount(np.concatenate(used), minlength=len(chunk.types))):
                counts[t] += int(n)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return AtomVocabulary([t for t, _ in ordered], [c for _, c in ordered])


def _assemble(smiles: list[str], chunks: list[_Chunk], vocabulary: AtomVocabulary, aromatic: bool) -> GraphDataset:
    index = {t: i for i, t in enumerate(vocabulary.types)}
    kept, graphs, failures = [], [], []
    position = 0
    for chunk in chunks:
        to_global = np.array([index.get(t, -1) for t in chunk.types], dtype=np.int64)
        for result in chunk.graphs:
            s = smiles[position]
            if isinstance(result, str):
                failures.append(FeaturizeFailure(position, s, result))
            else:
                local, bonds, kinds = result
                atoms = to_global[local]
                if (atoms < 0).any():
                    unknown = chunk.types[int(local[np.argmax(atoms < 0)])]
                    failures.append(FeaturizeFailure(position, s, f"atom type {unknown.label} is not in the vocabulary"))
                else:
                    kept.append(s)
                    graphs.append(MolGraph(atoms, bonds, kinds))
            position += 1
    atom_counts = np.array([g.num_atoms for g in graphs], dtype=np.int64)
    bond_counts = np.array([len(g.bond_types) for g in graphs], dtype=np.int64)

    def joined(parts: list[np.ndarray], empty_shape: tuple[int, ...]) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(parts)) if parts else torch.zeros(empty_shape, dtype=torch.long)

    return GraphDataset(
        kept,
        atoms=joined([g.atoms for g in graphs], (0,)),
        bonds=joined([g.bonds for g in graphs], (0, 2)).reshape(-1, 2),
        bond_types=joined([g.bond_types for g in graphs], (0,)),
        atom_ptr=torch.from_numpy(np.concatenate([[0], np.cumsum(atom_counts)]).astype(np.int64)),
        bond_ptr=torch.from_numpy(np.concatenate([[0], np.cumsum(bond_counts)]).astype(np.int64)),
        vocabulary=vocabulary,
        failures=failures,
        aromatic=aromatic,
    )
