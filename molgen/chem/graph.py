"""Molecule <-> graph: the atom and bond vocabulary every graph model shares.

The choice, made once here: bonds are **kekulized** (single, double, triple). A graph model
then never has to predict aromaticity, and RDKit re-perceives it when a graph is turned
back into a molecule. An atom is typed by its element, its formal charge and, only where
RDKit's default valence model would give a different count, its number of explicit
hydrogens (e.g. hypervalent sulfur or ``[PH]``). Stereochemistry and isotopes are not part
of the graph; the round trip is exact on the non-isomeric canonical SMILES.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit

#: Bond types in a graph, by index. Index 0 is reserved by models for "no bond".
BOND_TYPES: tuple[Chem.BondType, ...] = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE)
BOND_NAMES: tuple[str, ...] = ("single", "double", "triple")
_BOND_INDEX = {bond: i for i, bond in enumerate(BOND_TYPES)}


@dataclass(frozen=True, order=True)
class AtomType:
    """An atom as a graph node sees it: element, formal charge, and fixed hydrogens if any.

    ``num_hs`` is ``None`` when RDKit's default valence model gives the right hydrogen
    count (almost always), and the exact count otherwise.
    """

    symbol: str
    charge: int = 0
    num_hs: int | None = None

    @property
    def label(self) -> str:
        """Short stable name, e.g. ``C``, ``N+``, ``O-``, ``S[H1]``."""
        text = self.symbol
        if self.charge:
            sign = "+" if self.charge > 0 else "-"
            text += sign * abs(self.charge) if abs(self.charge) <= 2 else f"{sign}{abs(self.charge)}"
        if self.num_hs is not None:
            text += f"[H{self.num_hs}]"
        return text


class UnknownAtomError(ValueError):
    """An atom type that the vocabulary was not built with."""


@dataclass
class AtomVocabulary:
    """The ordered atom types a graph model knows; saved with every model.

    Build it from a dataset with :meth:`from_smiles`; the order is by frequency (most common
    first) so that index 0 is the commonest atom, usually carbon.
    """

    types: list[AtomType]
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = {t: i for i, t in enumerate(self.types)}

    def __len__(self) -> int:
        return len(self.types)

    def __contains__(self, atom_type: AtomType) -> bool:
        return atom_type in self._index

    def index(self, atom_type: AtomType) -> int:
        try:
            return self._index[atom_type]
        except KeyError:
            known = ", ".join(t.label for t in self.types)
            raise UnknownAtomError(f"atom type {atom_type.label} is not in the vocabulary ({known})") from None

    @classmethod
    def from_mols(cls, mols: Iterable[Chem.Mol | None]) -> "AtomVocabulary":
        """Collect every atom type met in ``mols`` (``None`` entries are skipped)."""
        counter: Counter[AtomType] = Counter()
        for mol in mols:
            if mol is not None:
                counter.update(atom_types(mol))
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return cls([t for t, _ in ordered], [c for _, c in ordered])

    @classmethod
    def from_smiles(cls, smiles: Iterable[str]) -> "AtomVocabulary":
        """Collect every atom type in a list of SMILES; unparsable ones are skipped."""
        from molgen.chem.parse import to_mol

        return cls.from_mols(to_mol(s) for s in smiles)

    def to_dict(self) -> dict:
        return {
            "types": [[t.symbol, t.charge, t.num_hs] for t in self.types],
            "counts": list(self.counts),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "AtomVocabulary":
        return cls([AtomType(s, c, h) for s, c, h in data["types"]], list(data.get("counts", [])))

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=1)

    @classmethod
    def load(cls, path) -> "AtomVocabulary":
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))


@dataclass
class MolGraph:
    """A molecule as plain arrays: node type indices and an undirected edge list.

    ``atoms[i]`` indexes the vocabulary; ``bonds`` is ``(n_bonds, 2)`` with ``i < j``;
    ``bond_types[k]`` indexes :data:`BOND_TYPES`.
    """

    atoms: np.ndarray
    bonds: np.ndarray
    bond_types: np.ndarray

    @property
    def num_atoms(self) -> int:
        return int(len(self.atoms))


def _kekulized(mol: Chem.Mol) -> Chem.Mol:
    out = Chem.Mol(mol)
    Chem.Kekulize(out, clearAromaticFlags=True)
    return out


def _default_hs(kekule: Chem.Mol) -> list[int]:
    """Hydrogen count each atom would get from RDKit's valence model with nothing pinned."""
    probe = Chem.RWMol(kekule)
    for atom in probe.GetAtoms():
        atom.SetNumExplicitHs(0)
        atom.SetNoImplicit(False)
    probe.UpdatePropertyCache(strict=False)
    return [atom.GetTotalNumHs() for atom in probe.GetAtoms()]


def _kekule_atom_types(kekule: Chem.Mol) -> tuple[list[AtomType], list[int]]:
    """Atom types of a kekulized molecule, and the indices of its radical atoms."""
    # Only bracket atoms ([nH], [NH+], [SH]) can carry a hydrogen count other than the
    # default, so the (costly) probe runs only for molecules that have one.
    pinned = any(atom.GetNoImplicit() or atom.GetNumExplicitHs() for atom in kekule.GetAtoms())
    defaults = _default_hs(kekule) if pinned else None
    types, radicals = [], []
    for i, atom in enumerate(kekule.GetAtoms()):
        if atom.GetNumRadicalElectrons():
            radicals.append(i)
        num_hs = None
        if defaults is not None and atom.GetTotalNumHs() != defaults[i]:
            num_hs = atom.GetTotalNumHs()
        types.append(AtomType(atom.GetSymbol(), atom.GetFormalCharge(), num_hs))
    return types, radicals


def _no_radicals(kekule: Chem.Mol, radicals: list[int]) -> None:
    if radicals:
        atom = kekule.GetAtomWithIdx(radicals[0])
        raise ValueError(f"atom {radicals[0]} ({atom.GetSymbol()}) is a radical; radicals have no graph form")


def atom_types(mol: Chem.Mol) -> list[AtomType]:
    """The :class:`AtomType` of every atom of ``mol``, in atom order.

    Raises ``ValueError`` for a radical: the graph has no way to say so, and rebuilding it
    would silently give the closed-shell molecule.
    """
    kekule = _kekulized(mol)
    types, radicals = _kekule_atom_types(kekule)
    _no_radicals(kekule, radicals)
    return types


def _typed_graph(mol: Chem.Mol) -> tuple[list[AtomType], list[int], np.ndarray, np.ndarray, Chem.Mol]:
    with quiet_rdkit():
        kekule = _kekulized(mol)
    types, radicals = _kekule_atom_types(kekule)
    bonds, kinds = [], []
    for bond in kekule.GetBonds():
        kind = _BOND_INDEX.get(bond.GetBondType())
        if kind is None:
            raise ValueError(f"bond type {bond.GetBondType()} between atoms {bond.GetBeginAtomIdx()} and {bond.GetEndAtomIdx()} is not supported")
        i, j = sorted((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
        bonds.append((i, j))
        kinds.append(kind)
    return types, radicals, np.array(bonds, dtype=np.int64).reshape(-1, 2), np.array(kinds, dtype=np.int64), kekule


def typed_graph(mol: Chem.Mol) -> tuple[list[AtomType], np.ndarray, np.ndarray]:
    """Atom types, bonds ``(n, 2)`` with ``i < j``, and bond-type indices of ``mol``.

    The vocabulary-free half of :func:`mol_to_graph`, for building a vocabulary and the
    graphs in one pass. Raises ``ValueError`` for radicals and unsupported bond types.
    """
    types, radicals, bonds, kinds, kekule = _typed_graph(mol)
    _no_radicals(kekule, radicals)
    return types, bonds, kinds


def mol_to_graph(mol: Chem.Mol, vocabulary: AtomVocabulary) -> MolGraph:
    """Turn a sanitized molecule into a :class:`MolGraph` over ``vocabulary``.

    Hydrogen atoms that RDKit keeps as atoms (e.g. MOSES's ``[H]N=C...``) stay nodes, so the
    round trip is exact. Raises :class:`UnknownAtomError` for an atom type outside the
    vocabulary (checked first: an unknown element is the likelier cause), ``ValueError``
    for radicals and for bonds other than single, double, triple or aromatic.
    """
    types, radicals, bonds, kinds, kekule = _typed_graph(mol)
    atoms = np.array([vocabulary.index(t) for t in types], dtype=np.int64)
    _no_radicals(kekule, radicals)
    return MolGraph(atoms, bonds, kinds)


@dataclass(frozen=True)
class GraphToMolResult:
    """A molecule rebuilt from a graph, and whether RDKit could sanitize it.

    When ``valid`` is false, ``mol`` is the unsanitized molecule (useful to inspect) and
    ``error`` says what RDKit objected to; ``smiles`` is then ``None``.
    """

    mol: Chem.Mol
    valid: bool
    smiles: str | None
    error: str = ""


def graph_to_mol(
    atoms: Sequence[int] | np.ndarray,
    bonds: Sequence[Sequence[int]] | np.ndarray,
    bond_types: Sequence[int] | np.ndarray,
    vocabulary: AtomVocabulary,
) -> GraphToMolResult:
    """Rebuild a molecule from node types and typed edges, without correcting anything.

    ``atoms`` are vocabulary indices; ``bonds`` pairs of atom indices (each undirected bond
    once); ``bond_types`` indices into :data:`BOND_TYPES`. The molecule is sanitized as
    given: a valence violation or an impossible aromatic system makes ``valid`` false,
    it is never repaired. The SMILES, when valid, is RDKit's canonical form.
    """
    atoms = np.asarray(atoms, dtype=np.int64).reshape(-1)
    bonds = np.asarray(bonds, dtype=np.int64).reshape(-1, 2)
    bond_types = np.asarray(bond_types, dtype=np.int64).reshape(-1)
    if len(bonds) != len(bond_types):
        raise ValueError(f"{len(bonds)} bonds but {len(bond_types)} bond types")
    mol = Chem.RWMol()
    for index in atoms:
        atom_type = vocabulary.types[int(index)]
        atom = Chem.Atom(atom_type.symbol)
        atom.SetFormalCharge(atom_type.charge)
        if atom_type.num_hs is not None:
            atom.SetNumExplicitHs(atom_type.num_hs)
            atom.SetNoImplicit(True)
        mol.AddAtom(atom)
    for (i, j), kind in zip(bonds, bond_types):
        if i == j or mol.GetBondBetweenAtoms(int(i), int(j)) is not None:
            raise ValueError(f"bond ({i}, {j}) is a self-loop or a duplicate")
        mol.AddBond(int(i), int(j), BOND_TYPES[int(kind)])
    built = mol.GetMol()
    with quiet_rdkit():
        try:
            Chem.SanitizeMol(built)
        except Exception as error:  # valence, kekulization: RDKit raises several types
            return GraphToMolResult(built, False, None, str(error))
        return GraphToMolResult(built, True, Chem.MolToSmiles(built))


def graph_round_trip_smiles(mol: Chem.Mol) -> str:
    """The canonical SMILES a graph of ``mol`` should rebuild: no stereo, no isotopes, largest form as is."""
    return Chem.MolToSmiles(mol, isomericSmiles=False)
