"""The optional projection of sampled graphs onto two rules of chemistry: no atom bonded beyond its
valence, and no ring larger than the training molecules have. It is a correction: a projected
sample's validity is not the uncorrected number DiGress reports, and molgen reports it apart
(``projection`` in a run's options and its validity note; ``meta["projected_bonds"]`` on each
sample of ``GraphDiffusion.sample``).

The denoiser's own view decides what is kept. Bonds are taken in order of the denoiser's probability
that the two atoms are bonded, most likely first. A bond that would close a ring of more than
``max_ring`` atoms is deferred. A later bond may shorten the path between the two atoms, as
the fusion bond of naphthalene does for its ten-atom perimeter, so deferred bonds are retried
until a pass adds none, and then dropped. A bond whose order would take either atom over its
capacity is lowered to the order that fits, or dropped.

The ring a bond closes is the shortest path between its atoms in the bonds kept so far, plus the
bond. That is a breadth-first search, written here rather than taken from a graph library: it runs
once per candidate bond on a graph of a few dozen atoms, until it meets the other atom.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from rdkit import Chem

from molgen.chem.graph import AtomVocabulary
from molgen.chem.rdkit_log import quiet_rdkit

FAR = -1  # the two atoms are connected, but only by a path too long for an allowed ring


def atom_capacities(vocabulary: AtomVocabulary, most: int = 8) -> list[int]:
    """For each atom type, the largest bond-order sum RDKit accepts on it: the number of single
    bonds to carbon an atom of that type (element, charge, pinned hydrogens) can carry and still sanitize."""
    capacities = []
    for atom_type in vocabulary.types:
        capacity = 0
        for bonds in range(1, most + 1):
            mol = Chem.RWMol()
            atom = Chem.Atom(atom_type.symbol)
            atom.SetFormalCharge(atom_type.charge)
            if atom_type.num_hs is not None:
                atom.SetNumExplicitHs(atom_type.num_hs)
                atom.SetNoImplicit(True)
            centre = mol.AddAtom(atom)
            for _ in range(bonds):
                mol.AddBond(centre, mol.AddAtom(Chem.Atom("C")), Chem.BondType.SINGLE)
            with quiet_rdkit():
                try:
                    Chem.SanitizeMol(mol)
                except Exception:  # valence: RDKit raises several types
                    break
            capacity = bonds
        capacities.append(capacity)
    return capacities


def _path_length(neighbours: list[list[int]], start: int, end: int, limit: int) -> int | None:
    """Bonds on the shortest path from ``start`` to ``end``: the length if it is at most ``limit``,
    :data:`FAR` if the atoms are connected only by longer paths, ``None`` if they are not connected."""
    seen, frontier, length = {start}, [start], 0
    while frontier:
        length += 1
        reached = []
        for atom in frontier:
            for other in neighbours[atom]:
                if other == end:
                    return length if length <= limit else FAR
                if other not in seen:
                    seen.add(other)
                    reached.append(other)
        frontier = reached
    return None


def project_graph(atoms: np.ndarray, classes: np.ndarray, bond_probability: np.ndarray, capacities: list[int],
                  max_ring: int | None, *, valence: bool = True, fixed: int = 0) -> tuple[np.ndarray, int]:
    """One graph's bond classes (k, k; 0 = no bond, c = bond order c) projected (see the module
    docstring), and how many of its bonds were dropped or lowered. ``bond_probability`` (k, k) orders
    the bonds; ``max_ring`` None applies no ring limit, ``valence`` False no capacity. Bonds among the
    first ``fixed`` atoms (a scaffold held by inpainting) are kept first and unchecked."""
    k = len(atoms)
    first, second = np.triu_indices(k, 1)
    bonded = classes[first, second] > 0
    first, second = first[bonded], second[bonded]
    held = (first < fixed) & (second < fixed)
    order = np.lexsort((-bond_probability[first, second], ~held))  # the scaffold's bonds, then most likely first
    free = np.array([capacities[a] for a in atoms], dtype=np.int64)
    neighbours: list[list[int]] = [[] for _ in range(k)]
    out = np.zeros_like(classes)

    def add(i: int, j: int, order_: int) -> None:
        neighbours[i].append(j)
        neighbours[j].append(i)
        out[i, j] = out[j, i] = order_
        free[i] -= order_
        free[j] -= order_

    pending = []
    for index in order:
        i, j = int(first[index]), int(second[index])
        if held[index]:
            add(i, j, int(classes[i, j]))
        else:
            pending.append((i, j))
    while pending:
        deferred = []
        for i, j in pending:
            if max_ring is not None and _path_length(neighbours, i, j, max_ring - 1) == FAR:
                deferred.append((i, j))
                continue
            order_ = int(classes[i, j])
            if valence:
                order_ = min(order_, int(free[i]), int(free[j]))
            if order_ >= 1:
                add(i, j, order_)
        if len(deferred) == len(pending):
            break
        pending = deferred
    changed = int(((out != classes) & np.triu(np.ones((k, k), dtype=bool), 1)).sum())
    return out, changed


def project_batch(x: torch.Tensor, e: torch.Tensor, bond_probability: torch.Tensor, mask: torch.Tensor,
                  capacities: list[int], max_ring: int | None, *, fixed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense one-hot bonds (B, N, N, C) projected graph by graph (:func:`project_graph`), and the
    bonds dropped or lowered per graph (B,). As in the sampler's graphs, the diagonal and the pairs of
    padded atoms are all-zero rows, not "no bond": the denoiser was trained on that encoding."""
    atoms, classes = x.argmax(-1).numpy(), e.argmax(-1).numpy()
    probability = bond_probability.numpy()
    out = np.zeros_like(classes)
    changed = np.zeros(len(x), dtype=np.int64)
    for b, size in enumerate(mask.sum(1).tolist()):
        out[b, :size, :size], changed[b] = project_graph(atoms[b, :size], classes[b, :size, :size],
                                                         probability[b, :size, :size], capacities, max_ring,
                                                         fixed=fixed)
    pair = mask[:, :, None] & mask[:, None, :] & ~torch.eye(mask.shape[1], dtype=torch.bool)[None]
    return F.one_hot(torch.from_numpy(out), e.shape[-1]).to(e.dtype) * pair[..., None], torch.from_numpy(changed)
