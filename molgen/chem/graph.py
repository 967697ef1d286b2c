"""Molecule <-> graph: the atom and bond vocabulary every graph model shares.

Bonds come in one of two schemes, chosen by each model:

- **Kekulé** (the default): single, double, triple. A graph model never predicts
  aromaticity, and RDKit re-perceives it when a graph is turned back into a molecule. The
  graph VAE's valence masks rely on integer bond orders.
- **Aromatic** (``aromatic=True``): single, double, triple and aromatic, as DiGress uses
  on MOSES. A benzene ring is then six bonds of one class instead of an exact alternation,
  which a one-shot generator finds far easier; RDKit must then kekulize the rebuilt
  molecule, and a ring it cannot kekulize makes the graph invalid (never repaired).

An atom is typed by its element, its formal charge and, only where RDKit's default valence
model would give a different count, its number of explicit hydrogens (e.g. hypervalent
sulfur, ``[PH]``, and in the aromatic scheme the pyrrole-type ``[nH]``). Stereochemistry and
isotopes are not part of the graph; the round trip is exact on the non-isomeric canonical
SMILES in both schemes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import without_labels

#: Bond types in a graph, by index. Index 0 is reserved by models for "no bond".
BOND_TYPES: tuple[Chem.BondType, ...] = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE)
BOND_NAMES: tuple[str, ...] = ("single", "double", "triple")
#: The aromatic scheme adds one bond type after the Kekulé ones (index 3).
AROMATIC_BOND_TYPES: tuple[Chem.BondType, ...] = BOND_TYPES + (Chem.BondType.AROMATIC,)
AROMATIC_BOND_NAMES: tuple[str, ...] = BOND_NAMES + ("aromatic",)
AROMATIC_BOND = len(BOND_TYPES)
_BOND_INDEX = {bond: i for i, bond in enumerate(AROMATIC_BOND_TYPES)}


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
            raise UnknownAtomError(f"atom type {atom_type.label} is not in the vocabulary ({known}): "
                                   f"{self._why_unknown(atom_type)}") from None

    def elements(self) -> set[str]:
        """The elements this vocabulary can write, by symbol: a scaffold with another element is out of its reach."""
        return {atom_type.symbol for atom_type in self.types}

    def charged_forms(self) -> set[tuple[str, int]]:
        """The charged atoms this vocabulary can write, as (element symbol, formal charge)."""
        return {(atom_type.symbol, atom_type.charge) for atom_type in self.types if atom_type.charge}

    def _why_unknown(self, atom_type: AtomType) -> str:
        """What kind of atom a chemist wrote that the model cannot take, in words."""
        forms = [t.label for t in self.types if t.symbol == atom_type.symbol]
        if atom_type.symbol == "H":
            return ("a hydrogen kept as an atom (charged, with no heavy atom to fold into, or a [H] written to fix a "
                    "double bond's geometry, which the model does not encode: write the molecule without it)")
        if not forms:
            return f"the element {atom_type.symbol} is not one the model was trained on"
        if atom_type.charge:
            # nitrogen is where a chemist meets this most: nitro groups and N-oxides are written charged
            examples = " (nitro groups, N-oxides and ammonium ions are written with one)" if atom_type.symbol == "N" else ""
            known = "uncharged" if all(not t.charge for t in self.types if t.symbol == atom_type.symbol) else \
                f"as {', '.join(forms)}"
            return (f"a charged {atom_type.symbol} (charge {atom_type.charge:+d}){examples}; the model knows "
                    f"{atom_type.symbol} only {known}")
        return f"{atom_type.symbol} with fixed hydrogens; the model knows {atom_type.symbol} only as {', '.join(forms)}"

    @classmethod
    def from_mols(cls, mols: Iterable[Chem.Mol | None], *, aromatic: bool = False) -> "AtomVocabulary":
        """Collect every atom type met in ``mols`` (``None`` entries are skipped), in the chosen bond scheme."""
        counter: Counter[AtomType] = Counter()
        for mol in mols:
            if mol is not None:
                counter.update(atom_types(mol, aromatic=aromatic))
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return cls([t for t, _ in ordered], [c for _, c in ordered])

    @classmethod
    def from_smiles(cls, smiles: Iterable[str], *, aromatic: bool = False) -> "AtomVocabulary":
        """Collect every atom type in a list of SMILES; unparsable ones are skipped."""
        from molgen.chem.parse import to_mol

        return cls.from_mols((to_mol(s) for s in smiles), aromatic=aromatic)

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
    ``bond_types[k]`` indexes :data:`AROMATIC_BOND_TYPES` (only the first three, :data:`BOND_TYPES`,
    in the Kekulé scheme).
    """

    atoms: np.ndarray
    bonds: np.ndarray
    bond_types: np.ndarray

    @property
    def num_atoms(self) -> int:
        return int(len(self.atoms))


def _in_scheme(mol: Chem.Mol, aromatic: bool) -> Chem.Mol:
    """``mol`` with its bonds as the scheme has them: kekulized, or aromatic as RDKit perceived them; without
    isotope labels, which the graph does not hold: a deuterium, kept by RDKit as an atom, folds into its heavy atom
    as a plain hydrogen (a review: a file's deuterated drug gave its graph, and the model's vocabulary, an H atom)."""
    with quiet_rdkit():   # RDKit warns of a lone deuterium ([2H][2H]) it cannot fold into an atom
        out = Chem.Mol(without_labels(mol))
    if not aromatic:
        Chem.Kekulize(out, clearAromaticFlags=True)
    return out


def _default_hs(form: Chem.Mol) -> list[int]:
    """Hydrogen count each atom would get from RDKit's valence model with nothing pinned."""
    probe = Chem.RWMol(form)
    for atom in probe.GetAtoms():
        atom.SetNumExplicitHs(0)
        atom.SetNoImplicit(False)
    probe.UpdatePropertyCache(strict=False)
    return [atom.GetTotalNumHs() for atom in probe.GetAtoms()]


def _scheme_atom_types(form: Chem.Mol) -> tuple[list[AtomType], list[int]]:
    """Atom types of a molecule in its bond scheme, and the indices of its radical atoms."""
    # Only atoms with explicit hydrogens or no implicit ones (bracket atoms such as [nH], [NH+],
    # [SH], or pyrrole N read from a Kekulé form) can differ from the default, so the (costly)
    # probe runs only for molecules that have one.
    pinned = any(atom.GetNoImplicit() or atom.GetNumExplicitHs() for atom in form.GetAtoms())
    defaults = _default_hs(form) if pinned else None
    types, radicals = [], []
    for i, atom in enumerate(form.GetAtoms()):
        if atom.GetNumRadicalElectrons():
            radicals.append(i)
        num_hs = None
        if defaults is not None and atom.GetTotalNumHs() != defaults[i]:
            num_hs = atom.GetTotalNumHs()
        types.append(AtomType(atom.GetSymbol(), atom.GetFormalCharge(), num_hs))
    return types, radicals


def _no_radicals(form: Chem.Mol, radicals: list[int]) -> None:
    if radicals:
        atom = form.GetAtomWithIdx(radicals[0])
        raise ValueError(f"atom {radicals[0]} ({atom.GetSymbol()}) is a radical; radicals have no graph form")


def atom_types(mol: Chem.Mol, *, aromatic: bool = False) -> list[AtomType]:
    """The :class:`AtomType` of every atom of ``mol`` in the chosen bond scheme, in atom order.

    Raises ``ValueError`` for a radical: the graph has no way to say so, and rebuilding it
    would silently give the closed-shell molecule.
    """
    form = _in_scheme(mol, aromatic)
    types, radicals = _scheme_atom_types(form)
    _no_radicals(form, radicals)
    return types


def _typed_graph(mol: Chem.Mol, aromatic: bool) -> tuple[list[AtomType], list[int], np.ndarray, np.ndarray, Chem.Mol]:
    with quiet_rdkit():
        form = _in_scheme(mol, aromatic)
    types, radicals = _scheme_atom_types(form)
    bonds, kinds = [], []
    for bond in form.GetBonds():
        kind = _BOND_INDEX.get(bond.GetBondType())
        if kind is None:
            raise ValueError(f"bond type {bond.GetBondType()} between atoms {bond.GetBeginAtomIdx()} and {bond.GetEndAtomIdx()} is not supported")
        i, j = sorted((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
        bonds.append((i, j))
        kinds.append(kind)
    return types, radicals, np.array(bonds, dtype=np.int64).reshape(-1, 2), np.array(kinds, dtype=np.int64), form


def typed_graph(mol: Chem.Mol, *, aromatic: bool = False) -> tuple[list[AtomType], np.ndarray, np.ndarray]:
    """Atom types, bonds ``(n, 2)`` with ``i < j``, and bond-type indices of ``mol``.

    The vocabulary-free half of :func:`mol_to_graph`, for building a vocabulary and the
    graphs in one pass. Raises ``ValueError`` for radicals and unsupported bond types.
    """
    types, radicals, bonds, kinds, form = _typed_graph(mol, aromatic)
    _no_radicals(form, radicals)
    return types, bonds, kinds


def mol_to_graph(mol: Chem.Mol, vocabulary: AtomVocabulary, *, aromatic: bool = False) -> MolGraph:
    """Turn a sanitized molecule into a :class:`MolGraph` over ``vocabulary``, in the chosen bond scheme.

    Hydrogen atoms that RDKit keeps as atoms (e.g. MOSES's ``[H]N=C...``) stay nodes, so the
    round trip is exact. Raises :class:`UnknownAtomError` for an atom type outside the
    vocabulary (checked first: an unknown element is the likelier cause), ``ValueError``
    for radicals and for bonds other than single, double, triple or aromatic.
    """
    types, radicals, bonds, kinds, form = _typed_graph(mol, aromatic)
    atoms = np.array([vocabulary.index(t) for t in types], dtype=np.int64)
    _no_radicals(form, radicals)
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

    @property
    def reason(self) -> str:
        """Why the graph is no molecule, as :func:`molgen.chem.parse.parse_smiles` says it of a SMILES ("valence:
        atom 3 (C) has a valence of 5, more than C allows"); '' when it is one."""
        if self.valid:
            return ""
        from molgen.chem.parse import sanitization_problem

        with quiet_rdkit():
            problem = sanitization_problem(Chem.Mol(self.mol)) if self.mol is not None else None
        return f"{problem[0].value}: {problem[1]}" if problem else f"other: {self.error}"


def unsanitized_smiles(mol: Chem.Mol | None) -> str:
    """A SMILES of a graph RDKit could not sanitize, as built (no implicit hydrogens worked out), for a reader to
    see what failed; '' where even that cannot be written."""
    if mol is None:
        return ""
    try:
        with quiet_rdkit():
            mol.UpdatePropertyCache(strict=False)
            return Chem.MolToSmiles(mol, canonical=False)
    except Exception:  # noqa: BLE001 -- RDKit raises several types for a graph it cannot write
        return ""


def graph_to_mol(
    atoms: Sequence[int] | np.ndarray,
    bonds: Sequence[Sequence[int]] | np.ndarray,
    bond_types: Sequence[int] | np.ndarray,
    vocabulary: AtomVocabulary,
) -> GraphToMolResult:
    """Rebuild a molecule from node types and typed edges, without correcting anything.

    ``atoms`` are vocabulary indices; ``bonds`` pairs of atom indices (each undirected bond
    once); ``bond_types`` indices into :data:`AROMATIC_BOND_TYPES` (a Kekulé graph never has
    index 3). The molecule is sanitized as given: a valence violation or an aromatic bond
    pattern RDKit cannot kekulize makes ``valid`` false, it is never repaired. The SMILES, when valid, is RDKit's canonical form.
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
        mol.AddBond(int(i), int(j), AROMATIC_BOND_TYPES[int(kind)])
        if int(kind) == AROMATIC_BOND:  # flagged as a parsed aromatic SMILES is, so sanitizing kekulizes it
            mol.GetBondBetweenAtoms(int(i), int(j)).SetIsAromatic(True)
            mol.GetAtomWithIdx(int(i)).SetIsAromatic(True)
            mol.GetAtomWithIdx(int(j)).SetIsAromatic(True)
    built = mol.GetMol()
    with quiet_rdkit():
        try:
            Chem.SanitizeMol(built)
        except Exception as error:  # valence, kekulization: RDKit raises several types
            return GraphToMolResult(built, False, None, str(error))
        return GraphToMolResult(built, True, Chem.MolToSmiles(built))


def has_stereo(mol: Chem.Mol) -> bool:
    """Whether ``mol`` has stereo a graph drops: an assigned stereocentre or a double bond's geometry."""
    return bool(Chem.FindMolChiralCenters(mol, includeUnassigned=False, useLegacyImplementation=False)) or any(
        bond.GetStereo() != Chem.BondStereo.STEREONONE for bond in mol.GetBonds())


def graph_round_trip_smiles(mol: Chem.Mol) -> str:
    """The canonical SMILES a graph of ``mol`` should rebuild: no stereo, no isotopes, largest form as is."""
    return Chem.MolToSmiles(without_labels(mol), isomericSmiles=False)
